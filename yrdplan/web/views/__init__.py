"""What each page shows: view functions returning language-free ``…Public`` models."""
