@models
Feature: Teams keep their models in the registry
  A team uploads the scikit-learn models it trained, exported with skops. Each upload of a
  name is a new version, numbered by the registry; nothing unsafe or unusable gets in, and a
  deleted model is gone for good while the answers it gave stay in everyone's history.

  Background:
    Given Alice is signed in
    And Bob is signed in

  Scenario: A team member uploads a model
    When Alice uploads a sales forecasting model named "forecast"
    Then Alice's model "forecast" is in the registry as version 1
    And only Alice can see "forecast" until she shares it

  Scenario: Uploading a name again makes the next version
    Given Alice has uploaded a model "forecast"
    When Alice uploads a sales forecasting model named "forecast"
    Then Alice's model "forecast" is in the registry as version 2
    And Alice's list of models shows versions 2 and 1 of "forecast", newest first

  Scenario: A classifier is recorded with the classes it knows
    When Alice uploads a flower classifier named "iris"
    Then Alice's model "iris" is recorded as a classifier of 3 classes

  Scenario Outline: Model names are letters, digits, dots, dashes and underscores
    When Alice uploads a sales forecasting model named <name>
    Then the request is refused, pointing at the name

    Examples:
      | name                          |
      | nothing at all                |
      | just a space                  |
      | "sales forecast"              |
      | "forecast" and a line break   |
      | "!@#$"                        |
      | a name of 101 characters      |

  Scenario Outline: Only scikit-learn models are accepted
    When Alice uploads a sales forecasting model of type "<type>"
    Then the request is refused, saying "sklearn" is the type accepted

    Examples:
      | type    |
      | SKLEARN |
      | Sklearn |
      | pytorch |
      | onnx    |

  Scenario: A model saved with pickle is refused as unsafe
    When Alice uploads a sales forecasting model saved with pickle
    Then the upload is refused as unsafe, advising Alice to export it with skops
    And Alice has no model in the registry

  Scenario: A model that would run system commands is refused
    When Alice uploads a model that would run system commands when loaded
    Then the upload is refused, naming the untrusted code it refers to

  Scenario: A file that is not a model is refused
    When Alice uploads a file that is not a model
    Then the upload is refused as not a usable model

  Scenario: A deleted model is gone, but its answers stay in history
    Given Alice has uploaded a model "forecast"
    And Alice has had a prediction from "forecast"
    When Alice deletes "forecast"
    Then Alice can no longer find "forecast"
    And Alice's prediction from "forecast" is still in her history
    And Alice's next upload of "forecast" becomes version 2

  Scenario: The default model stays
    Given Carol runs mlapi as an administrator
    When Carol tries to delete the default model
    Then the default model is kept, since every team relies on it

  Scenario: A team's maintainer uploads a model for the team
    Given the team "risk" is kept by Alice, with Bob as a member
    When Alice uploads a sales forecasting model named "forecast" for the team "risk"
    Then Alice's model "forecast" is in the registry as version 1
    And Bob finds "forecast" under the name "risk/forecast"
    And Bob can use "forecast" as a member of its team

  Scenario: A team member who does not maintain the team cannot upload for it
    Given the team "risk" is kept by Alice, with Bob as a member
    When Bob uploads a sales forecasting model named "forecast" for the team "risk"
    Then Bob is told only the team's maintainers may add models to it

  Scenario: Nobody uploads for a team they are not in
    Given the team "risk" is kept by Alice, with Dan as a member
    When Bob uploads a sales forecasting model named "forecast" for the team "risk"
    Then the upload is refused, pointing at the team

  Scenario: An owner moves her model into a team she keeps, versions and all
    Given the team "risk" is kept by Alice, with Bob as a member
    And Alice has uploaded a model "forecast"
    And Alice has uploaded a model "forecast"
    When Alice moves "forecast" into the team "risk"
    Then Bob finds "forecast" under the name "risk/forecast"
    And Bob finds versions 1 and 2 of "forecast" in the team "risk"
    And Bob can use "forecast" as a member of its team

  Scenario: A team that already has the name keeps it
    Given the team "risk" is kept by Alice, with Bob as a member
    And Alice has uploaded a model "forecast" for the team "risk"
    And Alice has uploaded a model "forecast"
    When Alice moves "forecast" into the team "risk"
    Then the move is refused, since the team already has a model "forecast"
    And Alice finds "forecast" under the name "alice/forecast"
