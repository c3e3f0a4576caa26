//! How fast a console may reload a view while others write: never faster than the store can
//! afford. After each load a view rests for a pause that grows with what the load cost, so a
//! console spends at most a fifth of one store backend on any view, however busy the writers.
//! Changes that arrive meanwhile are folded into one reload when the pause ends.

/// The shortest rest between two reloads of a view, in milliseconds: a change still shows
/// within about this long on a cheap view.
pub const FLOOR_MS: u64 = 250;

/// The longest rest: a very slow view still refreshes at least this often.
pub const CEILING_MS: u64 = 10_000;

/// A view's load cost is weighed this many times over in its rest (at most 1/(1+4) of a
/// backend per console).
pub const COST_FACTOR: u64 = 4;

/// How often a console's feed looks at the change log while few share the store.
pub const FEED_MS: u64 = 400;

/// Up to this many settle processes on one store, every feed looks every `FEED_MS`; beyond
/// it the store's share for feeds is split among them (each looks less often).
pub const FEEDS_AT_FULL_PACE: u64 = 100;

/// The longest a feed waits between looks, however many share the store.
pub const FEED_CEILING_MS: u64 = 2_000;

/// The wait between a feed's looks when `settles` settle processes share the store: the
/// store spends no more on feeds (and the reloads they set off) than a hundred consoles cost.
pub fn feed_pause(settles: u64) -> u64 {
    (FEED_MS * settles / FEEDS_AT_FULL_PACE).clamp(FEED_MS, FEED_CEILING_MS)
}

/// The rest after a load that took `cost_ms`.
pub fn refresh_pause(cost_ms: u64) -> u64 {
    cost_ms
        .saturating_mul(COST_FACTOR)
        .clamp(FLOOR_MS, CEILING_MS)
}

/// The cost to weigh next time: a moving average, so one slow load does not slow the view
/// for long and one fast load does not undo a trend (`previous` 0: nothing measured yet).
pub fn smoothed_cost(previous: u64, latest: u64) -> u64 {
    if previous == 0 {
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
        assert_eq!(refresh_pause(0), FLOOR_MS);
        assert_eq!(refresh_pause(20), FLOOR_MS);
        assert_eq!(refresh_pause(450), 1_800);
        assert_eq!(refresh_pause(60_000), CEILING_MS);
        // At most a fifth of a backend: cost / (cost + pause).
        for cost in [63, 100, 450, 2_000] {
            let share = cost as f64 / (cost + refresh_pause(cost)) as f64;
            assert!(share <= 0.2 + 1e-9, "{cost}: {share}");
        }
    }

    #[test]
    fn feeds_slow_down_only_beyond_a_hundred_settles_and_never_past_the_ceiling() {
        assert_eq!(feed_pause(0), FEED_MS);
        assert_eq!(feed_pause(1), FEED_MS);
        assert_eq!(feed_pause(100), FEED_MS);
        assert_eq!(feed_pause(200), 800);
        assert_eq!(feed_pause(350), 1_400);
        assert_eq!(feed_pause(5_000), FEED_CEILING_MS);
        // Beyond a hundred, the looks per second across all feeds stay at a hundred feeds' worth.
        for n in [150u64, 200, 400] {
            let looks = n as f64 * 1000.0 / feed_pause(n) as f64;
            assert!((looks - 250.0).abs() < 1.0, "{n}: {looks}");
        }
    }

    #[test]
    fn the_cost_follows_a_trend_not_one_load() {
        assert_eq!(smoothed_cost(0, 400), 400);
        assert_eq!(smoothed_cost(400, 0), 300);
        assert_eq!(smoothed_cost(100, 500), 200);
    }
}
