"""Reports: the inspection tables computed live from the cases, published figures, snapshots, exports."""
