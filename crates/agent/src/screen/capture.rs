//! This computer's displays, and pictures of one of them with what changed since the
//! last picture, in 64×64 tiles: a still screen costs a comparison, not an encode.

use crate::screen::ScreenError;

/// Tiles are compared as squares of this many pixels.
pub const TILE: u32 = 64;

/// One display of this computer, as the technician's display picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayInfo {
    /// Stable while the display is attached (the windowing system's id).
    pub id: String,
    pub name: String,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub primary: bool,
}

/// The displays of this computer, the primary first.
pub fn displays() -> Result<Vec<DisplayInfo>, ScreenError> {
    let mut found: Vec<DisplayInfo> = xcap::Monitor::all()
        .map_err(ScreenError::capture)?
        .iter()
        .filter_map(|monitor| describe(monitor).ok())
        .collect();
    found.sort_by_key(|display| !display.primary);
    if found.is_empty() {
        return Err(ScreenError::NoDisplay);
    }
    Ok(found)
}

fn describe(monitor: &xcap::Monitor) -> Result<DisplayInfo, xcap::XCapError> {
    Ok(DisplayInfo {
        id: monitor.id()?.to_string(),
        name: monitor.name()?,
        x: monitor.x()?,
        y: monitor.y()?,
        width: monitor.width()?,
        height: monitor.height()?,
        primary: monitor.is_primary()?,
    })
}

/// One RGBA picture of a display.
#[derive(Clone)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    /// Four bytes a pixel, rows without padding.
    pub rgba: Vec<u8>,
}

/// Takes pictures of one display.
pub struct Capturer {
    monitor: Monitor,
    pub display: DisplayInfo,
}

/// xcap's monitor. On Windows it holds an `HMONITOR`, a raw pointer, so it is not
/// `Send`; the stream moves its capturer onto blocking threads between pictures.
#[cfg(not(windows))]
type Monitor = xcap::Monitor;

#[cfg(windows)]
struct Monitor(xcap::Monitor);

// SAFETY: an HMONITOR names a display for the whole process and is not bound to the
// thread that got it (GetMonitorInfo and capture work from any thread); the capturer is
// used by one thread at a time, moved, never shared.
#[cfg(windows)]
#[allow(unsafe_code)]
unsafe impl Send for Monitor {}

#[cfg(windows)]
impl std::ops::Deref for Monitor {
    type Target = xcap::Monitor;
    fn deref(&self) -> &xcap::Monitor {
        &self.0
    }
}

impl Capturer {
    /// The display with this id; `None` picks the primary one.
    pub fn open(id: Option<&str>) -> Result<Self, ScreenError> {
        let monitors = xcap::Monitor::all().map_err(ScreenError::capture)?;
        let mut candidates = monitors
            .into_iter()
            .filter_map(|monitor| describe(&monitor).ok().map(|info| (monitor, info)));
        let found = match id {
            Some(id) => candidates.find(|(_, info)| info.id == id),
            None => {
                let all: Vec<_> = candidates.collect();
                let primary = all.iter().position(|(_, info)| info.primary).unwrap_or(0);
                all.into_iter().nth(primary)
            }
        };
        let (monitor, display) = found.ok_or_else(|| match id {
            Some(id) => ScreenError::UnknownDisplay(id.to_owned()),
            None => ScreenError::NoDisplay,
        })?;
        #[cfg(windows)]
        let monitor = Monitor(monitor);
        Ok(Self { monitor, display })
    }

    pub fn capture(&self) -> Result<Picture, ScreenError> {
        let image = self.monitor.capture_image().map_err(ScreenError::capture)?;
        let (width, height) = image.dimensions();
        Ok(Picture {
            width,
            height,
            rgba: image.into_raw(),
        })
    }
}

/// Tells whether the screen may have changed since it was last asked. On X11 the
/// server reports it (DAMAGE), so a still screen needs no capture; elsewhere it cannot
/// tell, and each tick captures and compares tiles.
pub struct ChangeWatch {
    #[cfg(target_os = "linux")]
    x: Option<x11_damage::Damage>,
}

impl ChangeWatch {
    pub fn open() -> Self {
        Self {
            #[cfg(target_os = "linux")]
            x: x11_damage::Damage::open()
                .map_err(|err| tracing::debug!(error = %err, "no X damage reports"))
                .ok(),
        }
    }

    /// Whether it knows of changes (true) or must capture to find out (false).
    pub fn is_precise(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            self.x.is_some()
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }

    /// `Some(changed)` where it knows; `None` where a capture must tell.
    pub fn changed(&mut self) -> Option<bool> {
        #[cfg(target_os = "linux")]
        {
            let damage = self.x.as_mut()?;
            match damage.take() {
                Ok(changed) => Some(changed),
                Err(err) => {
                    tracing::debug!(error = %err, "X damage reports stopped");
                    self.x = None;
                    None
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }
}

#[cfg(target_os = "linux")]
mod x11_damage {
    use x11rb::connection::Connection;
    use x11rb::protocol::damage::{self, ConnectionExt as _, ReportLevel};
    use x11rb::protocol::Event;
    use x11rb::rust_connection::RustConnection;

    /// A DAMAGE object on the root window: the server notes any drawing on the screen.
    pub struct Damage {
        conn: RustConnection,
        id: damage::Damage,
    }

    impl Damage {
        pub fn open() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
            let (conn, screen) = x11rb::connect(None)?;
            let root = conn.setup().roots.get(screen).ok_or("no X screen")?.root;
            conn.damage_query_version(1, 1)?.reply()?;
            let id = conn.generate_id()?;
            conn.damage_create(id, root, ReportLevel::NON_EMPTY)?;
            conn.flush()?;
            Ok(Self { conn, id })
        }

        /// Whether anything was drawn since the last call; the report is reset.
        pub fn take(&mut self) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
            let mut drawn = false;
            while let Some(event) = self.conn.poll_for_event()? {
                drawn |= matches!(event, Event::DamageNotify(_));
            }
            if drawn {
                // NON_EMPTY reports once until the damage is taken away.
                self.conn
                    .damage_subtract(self.id, x11rb::NONE, x11rb::NONE)?;
                self.conn.flush()?;
            }
            Ok(drawn)
        }
    }

    impl Drop for Damage {
        fn drop(&mut self) {
            let _ = self.conn.damage_destroy(self.id);
            let _ = self.conn.flush();
        }
    }
}

/// A tile that changed: its position and size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The tiles of `next` that differ from `previous` (all of them when the size changed).
pub fn changed_tiles(previous: Option<&Picture>, next: &Picture) -> Vec<Tile> {
    let all = |picture: &Picture| tiles_of(picture.width, picture.height).collect();
    let Some(previous) = previous else {
        return all(next);
    };
    if previous.width != next.width || previous.height != next.height {
        return all(next);
    }
    let stride = next.width as usize * 4;
    tiles_of(next.width, next.height)
        .filter(|tile| {
            let (start, len) = (tile.x as usize * 4, tile.width as usize * 4);
            (tile.y..tile.y + tile.height).any(|row| {
                let at = row as usize * stride + start;
                previous.rgba.get(at..at + len) != next.rgba.get(at..at + len)
            })
        })
        .collect()
}

fn tiles_of(width: u32, height: u32) -> impl Iterator<Item = Tile> {
    (0..height.div_ceil(TILE)).flat_map(move |row| {
        (0..width.div_ceil(TILE)).map(move |column| {
            let (x, y) = (column * TILE, row * TILE);
            Tile {
                x,
                y,
                width: TILE.min(width - x),
                height: TILE.min(height - y),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32, fill: u8) -> Picture {
        Picture {
            width,
            height,
            rgba: vec![fill; (width * height * 4) as usize],
        }
    }

    #[test]
    fn only_the_tiles_that_changed_are_reported() {
        let before = picture(200, 100, 0);
        assert_eq!(changed_tiles(Some(&before), &before.clone()), vec![]);
        let mut after = before.clone();
        // One pixel at (130, 70): the tile in the third column of the second row.
        let at = (70 * 200 + 130) * 4;
        after.rgba[at] = 255;
        assert_eq!(
            changed_tiles(Some(&before), &after),
            vec![Tile {
                x: 128,
                y: 64,
                width: 64,
                height: 36
            }]
        );
    }

    #[test]
    fn a_first_picture_or_a_new_size_changes_every_tile() {
        let small = picture(130, 64, 0);
        assert_eq!(changed_tiles(None, &small).len(), 3);
        let edge = changed_tiles(None, &small)[2];
        assert_eq!(
            (edge.x, edge.width),
            (128, 2),
            "edge tiles are cut to the picture"
        );
        assert_eq!(changed_tiles(Some(&small), &picture(64, 64, 0)).len(), 1);
    }
}
