"""The offline renderers: rule-based planner, Pillow images, ffmpeg camera moves, synthesised music."""
