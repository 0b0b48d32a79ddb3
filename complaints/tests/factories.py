def file_complaint(citizen, *, title="Pothole on MG Road", description="A deep pothole near the bus stop.", **kwargs):
    """File a complaint the way the product does: through the create service."""
    from complaints import services

    return services.complaint_create(
        citizen=citizen, created_by=citizen, title=title, description=description, **kwargs
    )


def in_progress_complaint(citizen, *, category, dispatcher, officer, **kwargs):
    """A complaint triaged to the officer's department and started by the officer."""
    from complaints import services

    complaint = file_complaint(
        citizen, category=category.parent or category, subcategory=category if category.parent else None, **kwargs
    )
    complaint = services.complaint_triage(complaint=complaint, actor=dispatcher, department=officer.department)
    return services.complaint_start(complaint=complaint, actor=officer)
