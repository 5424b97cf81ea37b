#!/usr/bin/env bash
# Draws the app icon (a lifebuoy: a blue #1d4ed8 ring with four white bands) at 1024 px
# and scales it to the sizes tauri.conf.json lists. Needs ImageMagick 6 or 7.
set -euo pipefail
cd "$(dirname "$0")"
IM=$(command -v magick || echo /usr/bin/convert)
# Ring of radius 340 and width 220 around the centre; the bands are thick arcs of the
# same ring, 30 degrees wide, centred on the diagonals.
"$IM" -size 1024x1024 xc:none \
  -fill none -stroke '#1d4ed8' -strokewidth 220 -draw "circle 512,512 512,172" \
  -stroke white -strokewidth 224 \
  -draw "arc 172,172 852,852 30,60" -draw "arc 172,172 852,852 120,150" \
  -draw "arc 172,172 852,852 210,240" -draw "arc 172,172 852,852 300,330" \
  -fill none -stroke '#1e3a8a' -strokewidth 14 \
  -draw "circle 512,512 512,61" -draw "circle 512,512 512,283" \
  -depth 8 PNG32:icon.png
for size in 32 128 256; do
  "$IM" icon.png -resize "${size}x${size}" -depth 8 "PNG32:${size}x${size}.png"
done
mv 256x256.png 128x128@2x.png
# The Windows executables' icon: the PNGs packed into one .ico.
python3 make-ico.py icon.ico 32x32.png 128x128.png 128x128@2x.png
