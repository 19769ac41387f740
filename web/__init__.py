"""The Litestar web application: the only package that speaks HTTP."""
