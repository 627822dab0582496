"""Tests of tinynn.quant."""
