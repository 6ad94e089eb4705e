# language: fr
Fonctionnalité: Autoriser calendarspots.com à accéder à MailChimp
  Le propriétaire d'une entreprise relie sa base de données clients calendarspots.com à son
  compte MailChimp pour l'envoi d'infolettres. Son compte MailChimp doit avoir une seule liste
  appelée "calendarspots", avec les champs Email, First Name, Last Name et Birthday. Une fois
  l'autorisation donnée, calendarspots.com fait une synchronisation initiale et affiche un
  message qui confirme si elle a réussi ou non.

  Contexte:
    Soit une entreprise "salon" dans le fuseau horaire "America/Montreal"
    Et 20 clients dans sa base de données clients

  @R1 @R2 @R3 @R5
  Scénario: L'autorisation relie le compte et fait la synchronisation initiale
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors un message confirme que la synchronisation a réussi
    Et la liste compte 20 contacts "subscribed"
    Et la liste a un seul webhook, qui ignore la source "api"
    Et le jeton MailChimp est conservé chiffré
    Et le journal d'activité contient "authorization.granted", "check.passed", "webhook.installed" et "sync.succeeded"

  @R1
  Scénario: Aucune liste ne s'appelle exactement calendarspots
    Soit un compte MailChimp dont la seule liste s'appelle "Calendarspots "
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors un message dit que la synchronisation a échoué en mentionnant "create"
    Et le message cite la liste "Calendarspots "
    Et aucun contact n'a été envoyé à MailChimp
    Et le journal d'activité contient "check.failed"

  @R1
  Scénario: Il doit y avoir une seule liste calendarspots
    Soit un compte MailChimp avec deux listes "calendarspots"
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors un message dit que la synchronisation a échoué en mentionnant "only one"
    Et aucun contact n'a été envoyé à MailChimp

  @R2
  Scénario: Le champ Birthday manque, l'opérateur le crée
    Soit un compte MailChimp avec une seule liste "calendarspots" sans le champ Birthday
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors un message dit que la synchronisation a échoué en mentionnant "BIRTHDAY"
    Et le message propose "cs-mailchimp check salon --fix"
    Quand l'opérateur lance "check salon --fix"
    Alors la liste a un champ "BIRTHDAY" de type "birthday"
    Et le journal d'activité contient "check.fixed"

  @R3
  Scénario: Un lien d'autorisation ne sert qu'une fois
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Quand le propriétaire clique sur Autoriser, confirme, puis recharge la page de retour
    Alors la page rechargée dit "already used"
    Et la liste compte 20 contacts "subscribed"
    Et le journal d'activité contient "authorization.granted", "sync.succeeded" et "authorization.failed"

  @R3
  Scénario: Le propriétaire retire l'accès dans MailChimp
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Et le propriétaire a autorisé calendarspots.com
    Quand le propriétaire retire l'accès de calendarspots.com dans MailChimp
    Et l'opérateur lance "sync salon"
    Alors l'entreprise est dans l'état "needs_reauthorization"
    Et le journal d'activité contient "authorization.revoked" et "sync.failed"

  @R3 @R10
  Scénario: Reconfirmer la liste : les nouveaux contacts reçoivent la confirmation de MailChimp
    Soit l'entreprise a choisi de reconfirmer sa liste
    Et un compte MailChimp avec une seule liste "calendarspots" complète
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors la liste compte 20 contacts "pending"

  @R3
  Scénario: Personne d'autre que le propriétaire ne peut relier la base clients à un compte MailChimp
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Quand un inconnu ouvre la page d'autorisation de l'entreprise "salon" sans lien ni session
    Alors il reçoit la même réponse que pour une entreprise qui n'existe pas
    Et l'entreprise est dans l'état "not_connected"
    Et le journal d'activité est vide
    Quand le propriétaire ouvre le lien donné par l'opérateur
    Alors il arrive sur la page d'autorisation de MailChimp
    Quand il ouvre ce lien une seconde fois
    Alors il reçoit la même réponse que pour une entreprise qui n'existe pas

  @R3 @R5
  Scénario: Le propriétaire déconnecte MailChimp, puis le reconnecte
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Et le propriétaire a autorisé calendarspots.com
    Quand le propriétaire déconnecte MailChimp
    Alors l'entreprise est dans l'état "disconnected"
    Et la liste n'a plus de webhook
    Et la base de données clients compte toujours 20 clients
    Et le journal d'activité contient "authorization.disconnected"
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors un message confirme que la synchronisation a réussi
    Et la liste a un seul webhook, qui ignore la source "api"
