"""Static assets of the educators site (CSS and JavaScript), served and written as they are."""
