"""Pure matching code: reading extracts, normalisation, grading. No Flask, no ORM."""
