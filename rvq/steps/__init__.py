"""The pilot's process steps: b data map (`datamap`), c lifecycle report (`lifecycle`),
d process gaps (`gaps`) and e historical record (`history`)."""
