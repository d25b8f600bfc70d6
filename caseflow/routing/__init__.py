"""Routing between the linking agency, the ministry and the Digital Agency: who holds a case,
referrals (照会) and their answers, and each organisation's inbox."""
