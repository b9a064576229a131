//! `from_info_bytes`: a bare info dictionary (BEP 9) checked like a file.
