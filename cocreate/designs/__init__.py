"""Designs: artwork uploads, their derivatives and product mockups."""
