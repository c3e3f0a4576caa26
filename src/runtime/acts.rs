//! Running a confirmed request against the store: the dialog's `Request` becomes an action
//! function's call, and its outcome a line for the status bar.

use sqlx::PgPool;

use crate::app::dialog::Request;
use crate::store;

/// The id of the assignee a console saw (by name), for the store's conflict check.
async fn seen_agent(pool: &PgPool, seen: Option<&str>) -> Result<Option<i32>, String> {
    match seen {
        Some(name) => store::agent_id_by_name(pool, name)
            .await
            .map_err(|e| e.to_string()),
        None => Ok(None),
    }
}

/// Runs a confirmed request; the message says what happened, or why not. A bulk request runs
/// each item in its own transaction and reports how many went through and the first refusal.
pub(super) async fn act(pool: &PgPool, request: Request) -> Result<String, String> {
    if let Request::Bulk(items) = request {
        let total = items.len();
        let mut failures = Vec::new();
        for item in items {
            if let Err(e) = Box::pin(act(pool, item)).await {
                failures.push(e);
            }
        }
        let done = total - failures.len();
        return match failures.first() {
            None => Ok(format!("{done} of {total} done")),
            Some(first) => Err(format!(
                "{done} of {total} done; {} refused, first: {first}",
                failures.len()
            )),
        };
    }
    use store::actions as a;
    let result = match &request {
        Request::ReleaseHold { hold, reason } => a::release_hold(pool, *hold, reason)
            .await
            .map(|_| "hold released".to_string()),
        Request::AssignMe { dispute, seen } => {
            let seen_id = seen_agent(pool, seen.as_deref()).await?;
            a::assign_dispute(pool, *dispute, None, seen_id)
                .await
                .map(|_| "assigned to you".to_string())
        }
        Request::Respond { dispute, note } => a::respond_dispute(pool, *dispute, note)
            .await
            .map(|_| "response recorded".to_string()),
        Request::Move {
            dispute,
            seen,
            to,
            outcome,
            credited,
            note,
        } => match to {
            Some(to) => a::move_dispute(pool, *dispute, *seen, *to, *outcome, *credited, note)
                .await
                .map(|_| format!("moved to {to}")),
            None => Err(a::ActionError::Refused("say where the dispute goes".into())),
        },
        Request::Escalate { dispute, note } => a::escalate_dispute(pool, *dispute, note)
            .await
            .map(|_| "escalated".to_string()),
        Request::QueueReminder {
            invoice,
            channel,
            tone,
            subject,
            body,
            override_reason,
            send_after,
            replace,
        } => {
            let m = a::NewMessage {
                invoice: *invoice,
                purpose: crate::domain::states::Purpose::Reminder,
                channel: *channel,
                tone: *tone,
                subject: subject.clone(),
                body: body.clone(),
                send_after: *send_after,
                override_reason: override_reason.clone(),
                replace: *replace,
            };
            a::queue_outreach(pool, &m)
                .await
                .map(|id| match send_after {
                    Some(at) => format!(
                        "reminder queued (MSG-{id}) to go {}",
                        at.format("%-d %b %H:%M UTC")
                    ),
                    None => format!("reminder queued (MSG-{id})"),
                })
        }
        Request::CancelMessage { id } => a::cancel_outreach(pool, *id)
            .await
            .map(|_| "message cancelled".to_string()),
        Request::AssignTo {
            dispute,
            seen,
            agent,
            ..
        } => {
            let seen_id = seen_agent(pool, seen.as_deref()).await?;
            a::assign_dispute(pool, *dispute, *agent, seen_id)
                .await
                .map(|_| "assigned".to_string())
        }
        Request::Promise {
            invoice,
            amount,
            promised_for,
        } => match promised_for {
            Some(day) => a::record_promise(pool, *invoice, *amount, *day)
                .await
                .map(|id| format!("promise recorded (#{id})")),
            None => Err(a::ActionError::Refused("a promise needs a date".into())),
        },
        Request::SetSegment { .. }
        | Request::DecideMessage { .. }
        | Request::ApproveMessage { .. }
        | Request::OpenCustomer { .. }
        | Request::Quit => act_on_account(pool, &request).await,
        Request::Bulk(_) => Err(a::ActionError::Refused(
            "a bulk action cannot hold another".into(),
        )),
    };
    result.map_err(|e| e.to_string())
}

/// The lead's decisions about a customer or a message (segment overrides, uncertain messages).
async fn act_on_account(
    pool: &PgPool,
    request: &Request,
) -> Result<String, store::actions::ActionError> {
    use store::actions as a;
    match request {
        Request::SetSegment {
            customer,
            segment: Some(segment),
            reason,
        } => a::set_segment_override(pool, *customer, *segment, reason)
            .await
            .map(|()| match segment {
                Some(s) => format!("segment set to {}", s.label()),
                None => "override lifted: the rules decide the segment".to_string(),
            }),
        Request::DecideMessage {
            id,
            went: Some(went),
        } => a::decide_uncertain(pool, *id, *went).await.map(|()| {
            if *went {
                format!("MSG-{id} marked sent")
            } else {
                format!("MSG-{id} queued to go again")
            }
        }),
        Request::ApproveMessage {
            id,
            approve: Some(approve),
            reason,
        } => a::approve_outreach(pool, *id, *approve, reason)
            .await
            .map(|()| {
                if *approve {
                    format!("MSG-{id} approved and queued")
                } else {
                    format!("MSG-{id} rejected")
                }
            }),
        Request::ApproveMessage { approve: None, .. } => {
            Err(a::ActionError::Refused("say whether to approve it".into()))
        }
        Request::DecideMessage { went: None, .. } => {
            Err(a::ActionError::Refused("say whether it went".into()))
        }
        Request::Quit => Err(a::ActionError::Refused("quitting changes nothing".into())),
        Request::OpenCustomer { .. } => Err(a::ActionError::Refused(
            "opening a customer changes nothing".into(),
        )),
        Request::SetSegment { segment: None, .. } => {
            Err(a::ActionError::Refused("pick a segment".into()))
        }
        _ => Err(a::ActionError::Refused(
            "not a decision about an account".into(),
        )),
    }
}
