"""Abstract models every app's records share (jobs, frozen exports). Nothing here has a
table of its own."""
