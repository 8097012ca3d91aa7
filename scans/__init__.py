"""PHI scans of uploaded files, run by workers on the `phi` queue; uploads and results stored encrypted."""
