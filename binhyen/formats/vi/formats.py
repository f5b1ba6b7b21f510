"""What Django's Vietnamese formats leave out: thousands are grouped (4.578, 1.234.567), as
every Vietnamese document writes them. The rest comes from Django's own `vi` formats."""

NUMBER_GROUPING = 3
