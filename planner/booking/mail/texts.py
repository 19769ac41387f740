"""The words of the e-mails, in French and English (``{placeholders}`` filled by compose)."""

from __future__ import annotations

PROFESSIONS = {
    "fr": {"general_practitioner": "médecin généraliste", "nurse": "infirmier·ère",
           "midwife": "sage-femme", "physiotherapist": "masseur-kinésithérapeute",
           "pharmacist": "pharmacien·ne", "secretary": "secrétariat", "manager": "direction"},
    "en": {"general_practitioner": "general practitioner", "nurse": "nurse", "midwife": "midwife",
           "physiotherapist": "physiotherapist", "pharmacist": "pharmacist",
           "secretary": "secretary", "manager": "manager"},
}

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "subject.confirmation": "Rendez-vous confirmé le {when}",
        "subject.change": "Rendez-vous déplacé au {when}",
        "subject.cancellation": "Rendez-vous du {when} annulé",
        "subject.reminder_48h": "Rappel : rendez-vous le {when}",
        "subject.reminder_2h": "Rappel : rendez-vous aujourd'hui à {time}",
        "subject.waitlist_offer": "Un créneau plus tôt est libre : {when}",
        "greeting": "Bonjour {name},",
        "lead.confirmation": "Votre rendez-vous est confirmé.",
        "lead.change": "Votre rendez-vous a été déplacé. Voici le nouvel horaire.",
        "lead.cancellation": "Votre rendez-vous est annulé. Le créneau est rendu à d'autres patients.",
        "lead.reminder_48h": "Nous vous rappelons votre rendez-vous dans deux jours.",
        "lead.reminder_2h": "Nous vous rappelons votre rendez-vous dans deux heures.",
        "lead.waitlist_offer": "Un créneau plus tôt que votre rendez-vous actuel vient de se libérer.",
        "when": "Date : {when}",
        "with": "Avec : {clinician} ({profession})",
        "where.in_person": "Lieu : {site}, {address}{room}",
        "where.video": "Téléconsultation : le lien de la consultation vidéo est sur la page de "
                       "votre rendez-vous.",
        "manage": "Voir, déplacer ou annuler votre rendez-vous : {url}",
        "cutoff": "Vous pouvez le modifier en ligne jusqu'au {deadline} ; ensuite, appelez le {phone}.",
        "offer": "Pour prendre ce créneau à la place de votre rendez-vous actuel ({current}), "
                 "ouvrez ce lien avant le {expires} : {url}\nLe premier patient qui accepte l'obtient.",
        "rebook": "Pour prendre un nouveau rendez-vous : {url}",
        "signature": "— {site}, {phone}",
        "calendar": "Le fichier joint (.ics) ajoute ce rendez-vous à votre agenda.",
        "summary": "Rendez-vous avec {clinician}",
        "ics.video": "Téléconsultation",
        "date": "{date} à {time}",
    },
    "en": {
        "subject.confirmation": "Appointment confirmed for {when}",
        "subject.change": "Appointment moved to {when}",
        "subject.cancellation": "Appointment of {when} cancelled",
        "subject.reminder_48h": "Reminder: appointment on {when}",
        "subject.reminder_2h": "Reminder: appointment today at {time}",
        "subject.waitlist_offer": "An earlier time is free: {when}",
        "greeting": "Hello {name},",
        "lead.confirmation": "Your appointment is confirmed.",
        "lead.change": "Your appointment was moved. Here is the new time.",
        "lead.cancellation": "Your appointment is cancelled. The time is given back to other patients.",
        "lead.reminder_48h": "This is a reminder of your appointment in two days.",
        "lead.reminder_2h": "This is a reminder of your appointment in two hours.",
        "lead.waitlist_offer": "A time earlier than your current appointment has just become free.",
        "when": "When: {when}",
        "with": "With: {clinician} ({profession})",
        "where.in_person": "Where: {site}, {address}{room}",
        "where.video": "Video consultation: the link to the video call is on your appointment's page.",
        "manage": "See, move or cancel your appointment: {url}",
        "cutoff": "You can change it online until {deadline}; after that, call {phone}.",
        "offer": "To take this time instead of your current appointment ({current}), open this link "
                 "before {expires}: {url}\nThe first patient to accept gets it.",
        "rebook": "To book a new appointment: {url}",
        "signature": "— {site}, {phone}",
        "calendar": "The attached file (.ics) adds this appointment to your calendar.",
        "summary": "Appointment with {clinician}",
        "ics.video": "Video consultation",
        "date": "{date} at {time}",
    },
}


def text(locale: str, key: str, **values: object) -> str:
    """One text in ``locale`` (French when the locale is unknown)."""
    return TEXTS.get(locale, TEXTS["fr"])[key].format(**values)
