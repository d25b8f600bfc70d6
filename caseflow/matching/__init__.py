"""Pure matching code: normalisation, grading, number checks. No Flask, no ORM."""
