@ownership
Feature: Who may do what with a model
  A team's model is its own: others may look at it and ask it for predictions only when it
  is shared with everyone, only its owner (or an administrator) may change or delete it,
  and nobody who has not signed in may do anything with it. This table is the whole policy.

  Background:
    Given Olivia has uploaded a model "churn"

  Scenario Outline: Who may do what with a model
    Given Olivia's model "churn" is <visibility>
    When <actor> tries to <action> Olivia's model "churn"
    Then the attempt is <outcome>

    Examples:
      | actor                 | visibility | action  | outcome                  |
      | its owner             | private    | view    | allowed                  |
      | its owner             | private    | update  | allowed                  |
      | its owner             | private    | delete  | allowed                  |
      | its owner             | private    | predict | allowed                  |
      | its owner             | public     | view    | allowed                  |
      | its owner             | public     | update  | allowed                  |
      | its owner             | public     | delete  | allowed                  |
      | its owner             | public     | predict | allowed                  |
      | another user          | private    | view    | forbidden                |
      | another user          | private    | update  | forbidden                |
      | another user          | private    | delete  | forbidden                |
      | another user          | private    | predict | forbidden                |
      | another user          | public     | view    | allowed                  |
      | another user          | public     | update  | forbidden                |
      | another user          | public     | delete  | forbidden                |
      | another user          | public     | predict | allowed                  |
      | an administrator      | private    | view    | allowed                  |
      | an administrator      | private    | update  | allowed                  |
      | an administrator      | private    | delete  | allowed                  |
      | an administrator      | private    | predict | allowed                  |
      | an administrator      | public     | view    | allowed                  |
      | an administrator      | public     | update  | allowed                  |
      | an administrator      | public     | delete  | allowed                  |
      | an administrator      | public     | predict | allowed                  |
      | someone not signed in | private    | view    | turned away until signed in |
      | someone not signed in | private    | update  | turned away until signed in |
      | someone not signed in | private    | delete  | turned away until signed in |
      | someone not signed in | private    | predict | turned away until signed in |
      | someone not signed in | public     | view    | turned away until signed in |
      | someone not signed in | public     | update  | turned away until signed in |
      | someone not signed in | public     | delete  | turned away until signed in |
      | someone not signed in | public     | predict | turned away until signed in |
