//! Load-balancing algorithms (HAProxy `balance`), pure and sans-IO.
