# language: fr
Fonctionnalité: La synchronisation se fait une fois par jour, pendant la nuit
  La synchronisation ne se fait pas en temps réel. Elle s'effectue une fois par jour pendant
  la nuit de l'entreprise. Les changements faits au courant de la journée sont mis à jour le
  lendemain dans MailChimp. Un Webhook est ajouté à la liste : il ne faut ni le supprimer ni
  le modifier, ni supprimer la liste.

  Contexte:
    Soit une entreprise "salon" dans le fuseau horaire "America/Montreal"
    Et 20 clients dans sa base de données clients
    Et un compte MailChimp avec une seule liste "calendarspots" complète
    Et le propriétaire a autorisé calendarspots.com

  @R4
  Scénario: Les changements de la journée arrivent dans MailChimp la nuit suivante
    Soit 3 clients ont changé de prénom pendant la journée
    Quand la tâche de nuit passe à "2026-03-10T12:00:00-04:00"
    Alors aucune synchronisation n'a lieu
    Quand la tâche de nuit passe à "2026-03-11T04:30:00-04:00"
    Alors MailChimp a reçu exactement 3 contacts
    Quand la tâche de nuit passe à "2026-03-11T04:50:00-04:00"
    Alors aucune synchronisation n'a lieu

  @R5
  Scénario: Le webhook supprimé est restauré
    Quand quelqu'un supprime le webhook dans MailChimp
    Et l'opérateur lance "sync salon"
    Alors la liste a un seul webhook, qui ignore la source "api"
    Et le journal d'activité contient "webhook.repaired"

  @R5
  Scénario: Le webhook modifié est remis en état
    Quand quelqu'un ajoute la source "api" au webhook dans MailChimp
    Et l'opérateur lance "sync salon"
    Alors la liste a un seul webhook, qui ignore la source "api"
    Et le journal d'activité contient "webhook.repaired"

  @R6
  Scénario: La liste est supprimée dans MailChimp
    Quand quelqu'un supprime la liste dans MailChimp
    Et l'opérateur lance "sync salon"
    Alors la commande échoue en disant "deleted"
    Et l'entreprise est dans l'état "needs_attention"
    Et le journal d'activité contient "sync.failed"

  @R6
  Scénario: La liste est renommée dans MailChimp
    Quand quelqu'un renomme la liste "Infolettre" dans MailChimp
    Et l'opérateur lance "sync salon"
    Alors la commande échoue en disant "renamed"
    Et l'entreprise est dans l'état "needs_attention"

  @R7
  Scénario: Un désabonnement dont le webhook s'est perdu est rattrapé la nuit
    Soit le webhook ne joint plus calendarspots.com
    Quand "client3@example.com" se désabonne dans MailChimp
    Et l'opérateur lance "sync salon"
    Alors le client "client3@example.com" est "unsubscribed" dans la base de données clients

  @R10
  Scénario: Un client désabonné n'est jamais réabonné, même par une synchronisation complète
    Quand "client4@example.com" se désabonne dans MailChimp
    Et l'opérateur lance "sync salon --full"
    Alors le contact "client4@example.com" est "unsubscribed" dans MailChimp
    Et le client "client4@example.com" est "unsubscribed" dans la base de données clients
