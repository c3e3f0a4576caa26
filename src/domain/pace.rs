//! How fast a console may reload a view while others write: never faster than the store can
//! afford. After each load a view rests for a pause that grows with what the load cost and
//! with how many consoles share the store, so one console spends at most a fifth of a store
//! backend on its view and all consoles together about a quarter of one, however busy the
//! writers (the writers keep the rest). Changes that arrive meanwhile are folded into one
//! reload when the pause ends. A person's own action and a move to another view load at once.

/// The shortest rest between two reloads of a view, in milliseconds: a change still shows
/// within about this long on a cheap view.
pub const FLOOR_MS: u64 = 250;

/// The longest rest: a very slow view still refreshes at least this often.
pub const CEILING_MS: u64 = 30_000;

/// A view's load cost is weighed this many times over in its rest (at most 1/(1+4) of a
/// backend per console).
pub const COST_FACTOR: u64 = 4;

/// How often a console's feed looks at the change log while few share the store (one round
/// trip, two index probes: 400 ms gave the overview a change → visible p95 of 440 ms among
/// twenty consoles on the large demo store, 250 ms gives 240 ms).
pub const FEED_MS: u64 = 250;

/// All feeds on one store together look at most this often a second (a hundred feeds every
/// 400 ms): up to 62 settle processes every feed looks every `FEED_MS`, beyond that each less
/// often. Each look can set off a reload, so this bounds those too: looks every 500 ms among
/// two hundred consoles cost the writer's pace about six points more than every 800 ms.
pub const FEED_LOOKS_PER_S: u64 = 250;

/// The longest a feed waits between looks, however many share the store.
pub const FEED_CEILING_MS: u64 = 2_000;

/// The wait between a feed's looks when `settles` settle processes share the store: the
/// store spends no more on feeds (and the reloads they set off) than `FEED_LOOKS_PER_S`.
pub fn feed_pause(settles: u64) -> u64 {
    (settles * 1000 / FEED_LOOKS_PER_S).clamp(FEED_MS, FEED_CEILING_MS)
}

/// The wait between a feed's looks while its console already knows of a change it will
/// reload for (the view rests, or live updates are paused): another look cannot show anything
/// sooner, so the feed only keeps the header honest (the ceiling, under the three seconds
/// after which the header says stale) and keeps its cursor near the head.
pub fn feed_pause_while(settles: u64, reload_due: bool) -> u64 {
    if reload_due {
        FEED_CEILING_MS
    } else {
        feed_pause(settles)
    }
}

/// What all consoles on one store together may spend reloading their views: this many
/// milliseconds of store time each second (a quarter of one backend).
pub const SHARED_MS_PER_S: u64 = 250;

/// The rest after a load that took `cost_ms`, when `settles` settle processes share the store
/// (0 when not yet counted: taken as one).
pub fn refresh_pause(cost_ms: u64, settles: u64) -> u64 {
    let own = cost_ms.saturating_mul(COST_FACTOR);
    let shared = cost_ms.saturating_mul(settles.max(1)).saturating_mul(1000) / SHARED_MS_PER_S;
    own.max(shared).clamp(FLOOR_MS, CEILING_MS)
}

/// A rest this long or longer is said in the header: the screen is live, but refreshes only
/// this often while the store is shared this widely.
pub const SAID_FROM_MS: u64 = 2_000;

/// What loading the current view costs, as its rests weigh it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewCost {
    ms: u64,
    loads: u32,
}

impl ViewCost {
    /// The cost to weigh a rest by, in milliseconds (0: nothing weighed yet).
    pub fn ms(self) -> u64 {
        self.ms
    }

    /// Weighs a load of the view that took `latest` ms. The view's first load is not weighed:
    /// it prepares the view's statements on its connection and warms what it reads, a cost
    /// not paid again, and a rest weighed by it kept a freshly opened view resting seconds
    /// (30 s among two hundred consoles) before it first showed a change.
    pub fn weigh(&mut self, latest: u64) {
        if self.loads > 0 {
            self.ms = smoothed_cost(self.ms, latest);
        }
        self.loads = self.loads.saturating_add(1);
    }
}

/// The cost to weigh next time (`previous` 0: nothing measured yet). Waiting only ever adds
/// to a load's time, so a cheaper load is taken as it is: the view's cost is at most that.
/// (Averaged, a view's first load, which prepares its statements on a fresh connection, or
/// a moment when twenty consoles loaded at once kept it resting seconds for a dozen loads
/// after.) A dearer load moves the cost a quarter of the way: one slow load does not slow the
/// view for long, and a store that stays slow is followed.
pub fn smoothed_cost(previous: u64, latest: u64) -> u64 {
    if previous == 0 || latest <= previous {
        latest
    } else {
        (previous * 3 + latest) / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cheap_views_rest_the_floor_and_costly_ones_rest_four_times_their_cost() {
        assert_eq!(refresh_pause(0, 1), FLOOR_MS);
        assert_eq!(refresh_pause(20, 1), FLOOR_MS);
        assert_eq!(refresh_pause(450, 1), 1_800);
        assert_eq!(refresh_pause(450, 0), 1_800);
        assert_eq!(refresh_pause(60_000, 1), CEILING_MS);
        // At most a fifth of a backend: cost / (cost + pause).
        for cost in [63, 100, 450, 2_000] {
            let share = cost as f64 / (cost + refresh_pause(cost, 1)) as f64;
            assert!(share <= 0.2 + 1e-9, "{cost}: {share}");
        }
    }

    #[test]
    fn many_consoles_together_spend_a_quarter_backend_until_the_ceiling() {
        // A published overview (a fraction of a millisecond) stays at the floor for 200.
        assert_eq!(refresh_pause(0, 200), FLOOR_MS);
        // Four consoles on a 25 ms view: 400 ms each, 250 ms of store time a second in all.
        assert_eq!(refresh_pause(25, 4), 400);
        // 200 consoles on a 2 ms view: 1.6 s each.
        assert_eq!(refresh_pause(2, 200), 1_600);
        for (cost, settles) in [(2u64, 200u64), (5, 50), (25, 4), (10, 100), (31, 80)] {
            let spent = settles as f64 * cost as f64 * 1000.0 / refresh_pause(cost, settles) as f64;
            assert!(
                spent <= SHARED_MS_PER_S as f64 + 1e-9,
                "{cost} × {settles}: {spent}"
            );
        }
        // 200 consoles on a 31 ms view rest 24.8 s; past the ceiling a view still refreshes
        // every thirty seconds.
        assert_eq!(refresh_pause(31, 200), 24_800);
        assert_eq!(refresh_pause(40, 200), CEILING_MS);
    }

    #[test]
    fn feeds_slow_down_only_beyond_sixty_two_settles_and_never_past_the_ceiling() {
        assert_eq!(feed_pause(0), FEED_MS);
        assert_eq!(feed_pause(1), FEED_MS);
        assert_eq!(feed_pause(62), FEED_MS);
        assert_eq!(feed_pause(100), 400);
        assert_eq!(feed_pause(200), 800);
        assert_eq!(feed_pause(350), 1_400);
        assert_eq!(feed_pause(5_000), FEED_CEILING_MS);
        // Beyond that, the looks per second across all feeds stay at the budget.
        for n in [100u64, 150, 200, 400] {
            let looks = n as f64 * 1000.0 / feed_pause(n) as f64;
            assert!((looks - 250.0).abs() < 1.0, "{n}: {looks}");
        }
    }

    #[test]
    fn a_feed_whose_console_will_reload_anyway_looks_only_as_often_as_the_header_needs() {
        for n in [0u64, 1, 100, 200, 5_000] {
            assert_eq!(feed_pause_while(n, false), feed_pause(n), "{n}");
            assert_eq!(feed_pause_while(n, true), FEED_CEILING_MS, "{n}");
        }
        // 200 consoles resting on a slow view look 100 times a second, not 250.
        let looks = 200.0 * 1000.0 / feed_pause_while(200, true) as f64;
        assert!((looks - 100.0).abs() < 1.0, "{looks}");
    }

    #[test]
    fn a_dearer_load_moves_the_cost_a_quarter_of_the_way_and_a_cheaper_one_all_the_way() {
        assert_eq!(smoothed_cost(0, 400), 400);
        assert_eq!(smoothed_cost(100, 500), 200);
        assert_eq!(smoothed_cost(200, 500), 275);
        assert_eq!(smoothed_cost(400, 7), 7);
        assert_eq!(smoothed_cost(400, 0), 0);
        // A cold first load, then warm ones: the rest is the warm one's at once.
        let cost = smoothed_cost(smoothed_cost(0, 92), 7);
        assert_eq!(refresh_pause(cost, 21), refresh_pause(7, 21));
    }

    #[test]
    fn a_views_first_load_is_not_weighed() {
        let mut cost = ViewCost::default();
        cost.weigh(900);
        assert_eq!(cost.ms(), 0, "the first load prepares statements");
        cost.weigh(40);
        assert_eq!(cost.ms(), 40);
        cost.weigh(120);
        assert_eq!(cost.ms(), 60);
        cost.weigh(10);
        assert_eq!(cost.ms(), 10);
    }
}
