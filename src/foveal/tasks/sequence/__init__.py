"""Sequence classification: LSTM / GRU / TCN / MLP over per-step features (CSV rows of point
tracks or landmarks, or per-frame features of video clips). See ``docs/sequences.md``."""
