"""Personal data: what each column holds, and the patients' rights over it."""
