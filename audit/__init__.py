"""Who saw what and why: the access log, integrity proofs and transparency figures."""
