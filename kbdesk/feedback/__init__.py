"""Article use and feedback: links inserted into replies, votes, comments, views, stats."""
