"""The admin's extra pages, one module per part of the year. Each calls services."""
