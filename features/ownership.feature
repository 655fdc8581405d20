@ownership
Feature: Who may do what with a model
  A team's model is its own: others may look at it and ask it for predictions only when it
  is shared with everyone, only its owner (or an administrator) may change or delete it,
  and nobody who has not signed in may do anything with it. These tables are the whole
  policy. In them, Olivia owns the model "churn"; Tina and Tom keep the team risk, whose
  model is "fraud", and Mia is a member of it; Bob is in neither and Carol is an
  administrator. A team's members may use its model; only its maintainers may change it.

  Background:
    Given Olivia has uploaded a model "churn"
    And the team "risk" is kept by Tina and Tom, with Mia as a member
    And Tina has uploaded a model "fraud" for the team "risk"
    And Bob is signed in
    And Carol runs mlapi as an administrator

  Scenario Outline: Who may do what with a model
    Given Olivia's model "churn" is <visibility>
    When <actor> tries to <action> Olivia's model "churn"
    Then the attempt is <outcome>

    Examples:
      | actor                 | visibility | action  | outcome                  |
      | Olivia                | private    | view    | allowed                  |
      | Olivia                | private    | update  | allowed                  |
      | Olivia                | private    | delete  | allowed                  |
      | Olivia                | private    | predict | allowed                  |
      | Olivia                | public     | view    | allowed                  |
      | Olivia                | public     | update  | allowed                  |
      | Olivia                | public     | delete  | allowed                  |
      | Olivia                | public     | predict | allowed                  |
      | Bob                   | private    | view    | forbidden                |
      | Bob                   | private    | update  | forbidden                |
      | Bob                   | private    | delete  | forbidden                |
      | Bob                   | private    | predict | forbidden                |
      | Bob                   | public     | view    | allowed                  |
      | Bob                   | public     | update  | forbidden                |
      | Bob                   | public     | delete  | forbidden                |
      | Bob                   | public     | predict | allowed                  |
      | Carol                 | private    | view    | allowed                  |
      | Carol                 | private    | update  | allowed                  |
      | Carol                 | private    | delete  | allowed                  |
      | Carol                 | private    | predict | allowed                  |
      | Carol                 | public     | view    | allowed                  |
      | Carol                 | public     | update  | allowed                  |
      | Carol                 | public     | delete  | allowed                  |
      | Carol                 | public     | predict | allowed                  |
      | someone not signed in | private    | view    | turned away until signed in |
      | someone not signed in | private    | update  | turned away until signed in |
      | someone not signed in | private    | delete  | turned away until signed in |
      | someone not signed in | private    | predict | turned away until signed in |
      | someone not signed in | public     | view    | turned away until signed in |
      | someone not signed in | public     | update  | turned away until signed in |
      | someone not signed in | public     | delete  | turned away until signed in |
      | someone not signed in | public     | predict | turned away until signed in |

  Scenario Outline: Who may do what with a team's model
    Given the team risk's model "fraud" is <visibility>, as Tina set it
    When <actor> tries to <action> risk's model "fraud"
    Then the attempt is <outcome>

    Examples:
      | actor                 | visibility | action  | outcome                     |
      | Tom                   | private    | view    | allowed                     |
      | Tom                   | private    | update  | allowed                     |
      | Tom                   | private    | delete  | allowed                     |
      | Tom                   | private    | predict | allowed                     |
      | Tom                   | public     | view    | allowed                     |
      | Tom                   | public     | update  | allowed                     |
      | Tom                   | public     | delete  | allowed                     |
      | Tom                   | public     | predict | allowed                     |
      | Mia                   | private    | view    | allowed                     |
      | Mia                   | private    | update  | forbidden                   |
      | Mia                   | private    | delete  | forbidden                   |
      | Mia                   | private    | predict | allowed                     |
      | Mia                   | public     | view    | allowed                     |
      | Mia                   | public     | update  | forbidden                   |
      | Mia                   | public     | delete  | forbidden                   |
      | Mia                   | public     | predict | allowed                     |
      | Bob                   | private    | view    | forbidden                   |
      | Bob                   | private    | update  | forbidden                   |
      | Bob                   | private    | delete  | forbidden                   |
      | Bob                   | private    | predict | forbidden                   |
      | Bob                   | public     | view    | allowed                     |
      | Bob                   | public     | update  | forbidden                   |
      | Bob                   | public     | delete  | forbidden                   |
      | Bob                   | public     | predict | allowed                     |
      | Carol                 | private    | view    | allowed                     |
      | Carol                 | private    | update  | allowed                     |
      | Carol                 | private    | delete  | allowed                     |
      | Carol                 | private    | predict | allowed                     |
      | Carol                 | public     | view    | allowed                     |
      | Carol                 | public     | update  | allowed                     |
      | Carol                 | public     | delete  | allowed                     |
      | Carol                 | public     | predict | allowed                     |
      | someone not signed in | private    | view    | turned away until signed in |
      | someone not signed in | private    | update  | turned away until signed in |
      | someone not signed in | private    | delete  | turned away until signed in |
      | someone not signed in | private    | predict | turned away until signed in |
      | someone not signed in | public     | view    | turned away until signed in |
      | someone not signed in | public     | update  | turned away until signed in |
      | someone not signed in | public     | delete  | turned away until signed in |
      | someone not signed in | public     | predict | turned away until signed in |
