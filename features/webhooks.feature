@webhooks
Feature: Teams are told when something happens to their models
  A team can ask mlapi to tell its own service when one of its models is added or removed,
  and when someone reports how one of its predictions turned out. Each message is signed
  with a secret that only the team is shown, so the team can tell a real message from a
  forged one. A team hears only about its own models and predictions. When the team's
  service is down, mlapi tries again a little later, three tries in all, and keeps a log
  of every try. Messages never go to addresses inside the company's own network.

  Background:
    Given Alice is signed in
    And Bob is signed in

  Scenario: A team is told about its new model
    Given Alice's team listens for new models
    When Alice uploads a sales forecasting model named "churn"
    Then Alice's team is told about the new model "churn"
    And the message is signed with the team's secret

  Scenario: A new version of a model is news too
    Given Alice has uploaded a model "churn"
    And Alice's team listens for new models
    When Alice uploads a sales forecasting model named "churn"
    Then Alice's team is told about version 2 of "churn"

  Scenario: A team is told when one of its models is removed
    Given Alice's team listens for removed models
    And Alice has uploaded a model "churn"
    When Alice deletes "churn"
    Then Alice's team is told the model "churn" was removed

  Scenario: A team is told how its predictions turned out
    Given Alice's team listens for reports on predictions
    And Alice has asked the default model about a patient
    When Alice reports how her latest prediction turned out
    Then Alice's team is told about the report on that prediction
    And the message is signed with the team's secret

  Scenario: A team hears nothing about another team's models
    Given Alice's team listens for new models
    When Bob uploads a sales forecasting model named "forecast"
    Then Alice's team is told nothing

  Scenario: A team whose service was briefly down is told on a later try
    Given Alice's team listens for new models
    And Alice's team's service fails once before it recovers
    When Alice uploads a sales forecasting model named "churn"
    Then Alice's team is told about the new model "churn"
    And Alice sees 2 tries in the log of her team's listener

  Scenario: mlapi gives up after three tries
    Given Alice's team listens for new models
    And Alice's team's service is down for good
    When Alice uploads a sales forecasting model named "churn"
    Then Alice's team is told nothing
    And Alice sees 3 tries in the log of her team's listener

  Scenario Outline: Messages never go inside the company's network
    When Alice asks to be told at <place>
    Then Alice is told that address cannot be used

    Examples:
      | place                                 |
      | her own computer                      |
      | an address of the office network      |
      | the cloud provider's metadata service |
      | an address that does not exist        |

  Scenario: An address later pointed inside the company's network gets nothing
    Given Alice's team listens for new models
    And the team's address is later pointed inside the company's network
    When Alice uploads a sales forecasting model named "churn"
    Then Alice's team is told nothing
    And Alice sees 1 try in the log of her team's listener

  Scenario: A team cannot add listeners without limit
    Given Alice's team has as many listeners as one person may have
    When Alice adds one more listener
    Then Alice is told she already has as many listeners as one person may

  Scenario: Nobody else can see or remove a team's listener
    Given Alice's team listens for new models
    When Bob tries to remove Alice's team's listener
    Then Bob is told there is no such listener
    And Alice's team is still listening

  Scenario: An administrator can remove any team's listener
    Given Carol runs mlapi as an administrator
    And Alice's team listens for new models
    When Carol tries to remove Alice's team's listener
    Then Alice's team is no longer listening
