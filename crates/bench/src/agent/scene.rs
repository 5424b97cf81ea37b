//! What the agent's screen shows during the bench: an X window over the whole display
//! that draws lines of "text" (dark bars on white) and scrolls them, adds a word now and
//! then (typing), or stays still; a key press flips a square between two colours, so
//! the viewer can time input to picture.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ChangeGCAux, ConnectionExt, CreateGCAux, CreateWindowAux, EventMask, Rectangle, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::COPY_DEPTH_FROM_PARENT;

pub const STILL: u8 = 0;
pub const SCROLLING: u8 = 1;
pub const TYPING: u8 = 2;

/// Where the key square is drawn, in screen pixels.
pub const SQUARE: (i16, i16, u16) = (40, 40, 120);
const LINE_HEIGHT: i16 = 22;

/// Runs the scene on its own thread until the process ends; `mode` steers it.
pub fn start(mode: Arc<AtomicU8>) -> anyhow::Result<()> {
    let (conn, screen_num) = x11rb::connect(None).context("connecting to the X display")?;
    let screen = &conn.setup().roots[screen_num];
    let (width, height) = (screen.width_in_pixels, screen.height_in_pixels);
    let (white, black) = (screen.white_pixel, screen.black_pixel);
    let window = conn.generate_id()?;
    conn.create_window(
        COPY_DEPTH_FROM_PARENT,
        window,
        screen.root,
        0,
        0,
        width,
        height,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new()
            .background_pixel(white)
            .override_redirect(1)
            .event_mask(EventMask::KEY_PRESS | EventMask::EXPOSURE),
    )?;
    let gc = conn.generate_id()?;
    conn.create_gc(gc, window, &CreateGCAux::new().foreground(black))?;
    conn.map_window(window)?;
    conn.flush()?;
    std::thread::Builder::new()
        .name("bench-scene".into())
        .spawn(move || {
            let mut offset: i16 = 0;
            let mut words: u16 = 0;
            let mut square_on = false;
            loop {
                while let Ok(Some(event)) = conn.poll_for_event() {
                    if let Event::KeyPress(_) = event {
                        square_on = !square_on;
                        let colour = if square_on { 0x00f0_e040 } else { 0x0010_1060 };
                        let _ = conn.change_gc(gc, &ChangeGCAux::new().foreground(colour));
                        let (x, y, side) = SQUARE;
                        let _ = conn.poly_fill_rectangle(
                            window,
                            gc,
                            &[Rectangle {
                                x,
                                y,
                                width: side,
                                height: side,
                            }],
                        );
                        let _ = conn.change_gc(gc, &ChangeGCAux::new().foreground(black));
                        let _ = conn.flush();
                    }
                }
                match mode.load(Ordering::Relaxed) {
                    SCROLLING => {
                        offset = (offset + 6) % (LINE_HEIGHT * 4);
                        let _ = draw_text(&conn, window, gc, width, height, offset, u16::MAX);
                    }
                    TYPING => {
                        words = words.wrapping_add(1);
                        let _ = draw_text(&conn, window, gc, width, height, 0, words);
                        std::thread::sleep(Duration::from_millis(134));
                    }
                    _ => {}
                }
                let _ = conn.flush();
                std::thread::sleep(Duration::from_millis(16));
            }
        })?;
    Ok(())
}

/// Lines of word-shaped bars below the square, shifted up by `offset`; at most `words`
/// words in all (typing adds one at a time).
fn draw_text(
    conn: &impl Connection,
    window: u32,
    gc: u32,
    width: u16,
    height: u16,
    offset: i16,
    words: u16,
) -> anyhow::Result<()> {
    let top = SQUARE.1 + SQUARE.2 as i16 + 20;
    conn.clear_area(false, window, 0, top, width, height - top as u16)?;
    let mut bars = Vec::new();
    let mut count = 0u16;
    let mut y = top - offset;
    let mut line = 0i32;
    while y < height as i16 && count < words {
        let mut x = 20i16;
        let mut word = 0i32;
        while x < width as i16 - 120 && count < words {
            let w = 30 + ((line * 7 + word * 13) % 70) as u16;
            if y >= top {
                bars.push(Rectangle {
                    x,
                    y,
                    width: w,
                    height: 12,
                });
            }
            x += w as i16 + 12;
            word += 1;
            count += 1;
        }
        y += LINE_HEIGHT;
        line += 1;
    }
    conn.poly_fill_rectangle(window, gc, &bars)?;
    Ok(())
}
