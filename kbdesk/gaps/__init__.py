"""Knowledge gaps: searches that found nothing, tickets no article matched, what to write."""
