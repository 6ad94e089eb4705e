# language: fr
Fonctionnalité: Autoriser calendarspots.com à accéder à MailChimp
  Le propriétaire d'une entreprise relie sa base de données clients calendarspots.com à son
  compte MailChimp pour l'envoi d'infolettres. Son compte MailChimp doit avoir une seule liste
  appelée "calendarspots", avec les champs Email, First Name, Last Name et Birthday. Une fois
  l'autorisation donnée, calendarspots.com fait une synchronisation initiale et affiche un
  message qui confirme si elle a réussi ou non.

  Contexte:
    Soit une entreprise "salon" à l'heure de Montréal
    Et 20 clients dans sa base de données clients

  @R1 @R2 @R3 @R5
  Scénario: L'autorisation relie le compte et fait la synchronisation initiale
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors la page de retour dit que MailChimp est connecté et que la synchronisation initiale a réussi
    Et la liste compte 20 contacts abonnés
    Et la liste a un seul webhook, qui ignore les changements faits par calendarspots.com
    Et le jeton MailChimp est conservé chiffré
    Et le journal d'activité dit que l'accès a été autorisé, que la liste a été vérifiée, que le webhook a été installé et que la synchronisation a réussi

  @R1
  Scénario: Aucune liste ne s'appelle exactement calendarspots
    Soit un compte MailChimp dont la seule liste s'appelle "Calendarspots "
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors la page de retour dit que MailChimp est connecté, mais que la liste ne convient pas : il faut créer une liste nommée exactement calendarspots
    Et le message cite la liste "Calendarspots "
    Et aucun contact n'a été envoyé à MailChimp
    Et le journal d'activité dit que la vérification de la liste a échoué

  @R1
  Scénario: Il doit y avoir une seule liste calendarspots
    Soit un compte MailChimp avec deux listes "calendarspots"
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors la page de retour dit que MailChimp est connecté, mais que la liste ne convient pas : il ne doit y avoir qu'une seule liste calendarspots
    Et aucun contact n'a été envoyé à MailChimp

  @R1
  Scénario: Deux entreprises ne partagent jamais une liste MailChimp
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Et le propriétaire a autorisé calendarspots.com
    Et une autre entreprise "barbier" à l'heure de Montréal, avec 5 clients dans sa base de données clients
    Quand le propriétaire de "barbier" clique sur Autoriser et se connecte au même compte MailChimp
    Alors la page de retour dit que MailChimp est connecté, mais que la liste ne convient pas : une autre entreprise utilise déjà cette liste
    Et la liste compte 20 contacts abonnés
    Et la connexion à MailChimp demande l'attention du propriétaire
    Et le journal d'activité dit que la vérification de la liste a échoué
    Quand le propriétaire ouvre sa page Infolettres avec le lien donné par l'équipe de support
    Alors sa page Infolettres affiche : Une autre entreprise utilise déjà la liste MailChimp « calendarspots » de ce compte MailChimp
    Et elle affiche : cliquez sur Déconnecter, puis sur Autoriser avec votre propre compte MailChimp
    Et elle ne nomme pas l'entreprise "salon"
    Et l'équipe de support voit qu'il faut à "barbier" son propre compte MailChimp, ou déconnecter "salon"
    Quand l'équipe de support lance une synchronisation
    Alors la synchronisation échoue parce que la liste est déjà utilisée par une autre entreprise
    Et la liste compte 20 contacts abonnés
    Quand l'équipe de support lance une synchronisation de "salon"
    Alors la synchronisation réussit
    Et l'entreprise "salon" est toujours reliée à MailChimp

  @R2
  Scénario: Le champ Birthday manque, l'équipe de support l'ajoute
    Soit un compte MailChimp avec une seule liste "calendarspots" sans le champ Birthday
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors la page de retour dit que MailChimp est connecté, mais que la liste ne convient pas : le champ Birthday manque
    Et le message propose de faire ajouter le champ manquant par l'équipe de support
    Quand l'équipe de support répare la liste
    Alors la liste a maintenant le champ Birthday, de type anniversaire
    Et le journal d'activité dit que les champs manquants ont été ajoutés

  @R2
  Scénario: Le champ Birthday manque, le propriétaire le répare depuis sa page Infolettres
    Soit un compte MailChimp avec une seule liste "calendarspots" sans le champ Birthday
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Et le propriétaire ouvre sa page Infolettres avec le lien donné par l'équipe de support
    Alors sa page Infolettres affiche : MailChimp est connecté, mais demande votre attention.
    Et la connexion à MailChimp demande l'attention du propriétaire
    Quand il clique sur « Vérifier et réparer »
    Alors la page affiche : Vérification faite.
    Et la liste a maintenant le champ Birthday, de type anniversaire
    Et l'entreprise est reliée à MailChimp
    Et le journal d'activité dit que les champs manquants ont été ajoutés et que la liste a été vérifiée

  @R3
  Scénario: Un lien d'autorisation ne sert qu'une fois
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Quand le propriétaire clique sur Autoriser, confirme, puis recharge la page de retour
    Alors la page rechargée dit que ce lien d'autorisation a déjà servi
    Et la page rechargée ne prétend pas que MailChimp n'est pas connecté
    Et la liste compte 20 contacts abonnés
    Et le journal d'activité dit que l'accès a été autorisé, que la synchronisation a réussi et que le lien déjà utilisé a été refusé

  @R3
  Scénario: Le propriétaire retire l'accès dans MailChimp
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Et le propriétaire a autorisé calendarspots.com
    Quand le propriétaire retire l'accès de calendarspots.com dans MailChimp
    Et l'équipe de support lance une synchronisation
    Alors l'entreprise doit autoriser MailChimp de nouveau
    Et le journal d'activité dit que l'accès a été retiré dans MailChimp et que la synchronisation a échoué

  @R3 @R10
  Scénario: Reconfirmer la liste : les nouveaux contacts reçoivent la confirmation de MailChimp
    Soit l'entreprise a choisi de reconfirmer sa liste
    Et un compte MailChimp avec une seule liste "calendarspots" complète
    Quand le propriétaire clique sur Autoriser et confirme dans MailChimp
    Alors la liste compte 20 contacts en attente de confirmation

  @R3
  Scénario: Personne d'autre que le propriétaire ne peut relier la base clients à un compte MailChimp
    Soit un compte MailChimp avec une seule liste "calendarspots" complète
    Quand un inconnu ouvre la page d'autorisation de l'entreprise "salon" sans lien ni session
    Alors il reçoit la même réponse que pour une entreprise qui n'existe pas
    Quand un inconnu ouvre la page d'autorisation de l'entreprise "salon" avec un lien inventé
    Alors il reçoit la même réponse que pour une entreprise qui n'existe pas
    Quand un inconnu fait croire à calendarspots.com que le propriétaire a refusé l'accès dans MailChimp
    Alors l'entreprise n'est toujours pas reliée à MailChimp
    Et le journal d'activité est vide
    Quand le propriétaire ouvre le lien donné par l'équipe de support
    Alors il arrive sur la page d'autorisation de MailChimp
    Quand il ouvre ce lien une seconde fois
    Alors la page dit que ce lien d'autorisation a déjà servi et qu'il faut en demander un nouveau à l'équipe de support
