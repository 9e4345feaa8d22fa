"""The pilot's steps b to e: b data map (`datamap`), c lifecycle report (`lifecycle`),
d process gaps (`gaps`) and e historical record (`history`)."""
