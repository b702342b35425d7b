"""Field types and shape checks that every schema shares, matched to what storage can hold."""
