//! Where each monitor stands on the shell's output: where `[[output.screen]]` puts it, and
//! the others side by side after all of those, in connector order, tops at 0.

use crate::config::ScreenPlacement;

/// The top left corner of each of `screens` (connector name and size, in connector order).
pub fn arrange(screens: &[(&str, (u32, u32))], placements: &[ScreenPlacement]) -> Vec<(i32, i32)> {
    let placed = |name: &str| placements.iter().find(|p| p.connector == name);
    // Unlisted monitors start right of every listed one that is connected, so that they never
    // cover one the user placed.
    let mut x = screens
        .iter()
        .filter_map(|(name, size)| placed(name).map(|p| p.x.saturating_add(size.0)))
        .max()
        .unwrap_or(0);
    screens
        .iter()
        .map(|(name, size)| match placed(name) {
            Some(p) => (to_i32(p.x), to_i32(p.y)),
            None => {
                let at = (to_i32(x), 0);
                x = x.saturating_add(size.0);
                at
            }
        })
        .collect()
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(connector: &str, x: u32, y: u32) -> ScreenPlacement {
        ScreenPlacement {
            connector: connector.into(),
            x,
            y,
        }
    }

    const HD: (u32, u32) = (1920, 1080);
    const XGA: (u32, u32) = (1024, 768);

    #[test]
    fn side_by_side_in_connector_order_by_default() {
        let screens = [("DP-1", HD), ("HDMI-A-1", XGA), ("DP-2", HD)];
        assert_eq!(arrange(&screens, &[]), [(0, 0), (1920, 0), (2944, 0)]);
    }

    #[test]
    fn placed_screens_stand_where_the_config_says() {
        let screens = [("DP-1", HD), ("HDMI-A-1", XGA)];
        let placements = [place("HDMI-A-1", 0, 0), place("DP-1", 1024, 100)];
        assert_eq!(arrange(&screens, &placements), [(1024, 100), (0, 0)]);
    }

    #[test]
    fn unlisted_screens_follow_right_of_the_placed_ones() {
        let screens = [("DP-1", HD), ("HDMI-A-1", XGA), ("DP-2", XGA)];
        let placements = [place("HDMI-A-1", 500, 1080)];
        assert_eq!(
            arrange(&screens, &placements),
            [(1524, 0), (500, 1080), (3444, 0)]
        );
    }

    #[test]
    fn placements_of_monitors_not_connected_are_ignored() {
        let screens = [("Virtual-1", XGA)];
        let placements = [place("DP-1", 4000, 0)];
        assert_eq!(arrange(&screens, &placements), [(0, 0)]);
    }
}
