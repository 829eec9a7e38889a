//! Unit tests of the doctor.
