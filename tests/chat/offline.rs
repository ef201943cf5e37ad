//! The offline provider answers the seed examples from the demo data.
