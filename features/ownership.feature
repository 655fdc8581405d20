@ownership
Feature: Who may do what with a model
  A team's model is its own: others may look at it and ask it for predictions only when it
  is shared with everyone, only its owner (or an administrator) may change or delete it,
  and nobody who has not signed in may do anything with it. This table is the whole policy.
  In it, Olivia owns the model, Bob is on another team and Carol is an administrator.

  Background:
    Given Olivia has uploaded a model "churn"
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
