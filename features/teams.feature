@teams
Feature: Teams share their models
  Several people can work as a team. Every member of a team may use its models; its
  maintainers also look after the team and decide who belongs to it. A team always keeps
  at least one maintainer. People and teams share one set of names, so a name such as
  "risk" always means the same owner, even after the team is gone.

  Background:
    Given Rita has created the risk team

  Scenario: The creator of a team is its first maintainer
    Then Rita sees the risk team among her teams, as a maintainer

  Scenario: A maintainer adds a member
    When Rita adds Bob to the risk team as a member
    Then Bob sees the risk team among his teams, as a member

  Scenario: A maintainer makes a member a maintainer
    Given Rita has added Bob to the risk team as a member
    When Rita adds Bob to the risk team as a maintainer
    Then Bob sees the risk team among his teams, as a maintainer

  Scenario: A maintainer removes a member
    Given Rita has added Bob to the risk team as a member
    When Rita removes Bob from the risk team
    Then Bob no longer sees the risk team

  Scenario: A member leaves a team
    Given Rita has added Bob to the risk team as a member
    When Bob leaves the risk team
    Then Bob no longer sees the risk team

  Scenario Outline: The last maintainer cannot step down
    When Rita tries to <step down> the risk team
    Then Rita is told the team needs at least one maintainer
    And Rita sees the risk team among her teams, as a maintainer

    Examples:
      | step down           |
      | leave               |
      | become a member of  |

  Scenario: With a second maintainer, the first may leave
    Given Rita has added Bob to the risk team as a maintainer
    When Rita leaves the risk team
    Then Rita no longer sees the risk team

  Scenario: A member cannot add members
    Given Rita has added Bob to the risk team as a member
    When Bob tries to add Eve to the risk team as a member
    Then Bob is told only the team's maintainers may do this

  Scenario: Someone outside a team cannot see it
    When Eve tries to look at the risk team
    Then Eve is told there is no such team

  Scenario Outline: A team cannot take a name already in use
    Given Bob is signed in
    When Eve tries to create a team called <name>
    Then Eve is told the name is already taken

    Examples:
      | name |
      | bob  |
      | BOB  |
      | Risk |

  Scenario: Nobody can sign up with a team's name
    When Eve tries to sign up with the username RISK
    Then Eve is told the name is already taken

  Scenario: A deleted team keeps its name
    Given Rita has deleted the risk team
    When Eve tries to create a team called risk
    Then Eve is told the name is already taken
