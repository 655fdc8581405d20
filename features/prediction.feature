@prediction
Feature: Predictions from the default model
  Every signed-in team member can ask the built-in diabetes model for predictions, one
  sample or a batch at a time, and find each answer again in their own history.

  Background:
    Given Alice is signed in
    And Bob is signed in

  Scenario: A team member gets a prediction
    When Alice asks the default model about a patient with 10 measurements
    Then Alice gets a prediction from the default model
    And the prediction was freshly computed
    And the prediction appears in Alice's history

  Scenario: The same question twice is answered from the cache
    When Alice asks the default model about a patient with 10 measurements
    And Alice asks the default model about the same patient again
    Then the second answer equals the first
    And the second answer came from the cache
    And both predictions appear in Alice's history

  Scenario Outline: The number of measurements must match the model
    When Alice asks the default model about a patient with <count> measurements
    Then the request is refused, saying the model expects 10 measurements

    Examples:
      | count |
      | 1     |
      | 9     |
      | 11    |

  Scenario Outline: Measurements must be numbers
    When Alice asks the default model about a patient whose measurements are <measurements>
    Then the request is refused, pointing at the measurements

    Examples:
      | measurements                   |
      | a word among the numbers       |
      | not a number (NaN)             |
      | infinite                       |
      | yes/no values                  |
      | a single word instead of a list |
      | lists inside the list          |

  Scenario: A question without measurements is refused
    When Alice asks the default model about a patient without giving any measurements
    Then the request is refused, pointing at the measurements

  Scenario: A batch of patients is predicted at once
    When Alice asks the default model about 3 patients at once
    Then Alice gets 3 predictions, one per patient
    And each of the 3 predictions appears in Alice's history

  Scenario Outline: A batch must hold between 1 and 100 patients
    When Alice asks the default model about <count> patients at once
    Then the request is refused, pointing at the samples

    Examples:
      | count |
      | 0     |
      | 101   |

  Scenario: History lists the newest predictions first
    Given Alice has asked the default model about 3 different patients
    When Alice looks at her prediction history
    Then she sees 3 predictions, newest first

  Scenario: One team member cannot read another's prediction
    Given Alice has asked the default model about a patient
    When Bob tries to read Alice's prediction
    Then Bob is told the prediction is not his to see

  Scenario: A prediction that does not exist is reported missing
    When Alice tries to read a prediction that does not exist
    Then Alice is told the prediction does not exist

  Scenario: Predictions need a signed-in user
    When someone who is not signed in asks the default model about a patient
    Then they are told to sign in first

  Scenario: Alice downloads her prediction history as a spreadsheet with what really happened
    Given Alice has asked the default model about 3 different patients
    And Alice has reported that her latest patient's disease progressed by 151
    When Alice downloads her prediction history as a spreadsheet
    Then the spreadsheet lists her 3 predictions, newest first
    And the spreadsheet shows that the newest one progressed by 151
    And the spreadsheet shows no outcome yet for the 2 others

  Scenario: Only her own predictions are in it, even for an administrator
    Given Carol is an administrator
    And Alice has asked the default model about 2 different patients
    And Bob has asked the default model about a patient
    And Carol has asked the default model about a patient
    When Carol downloads her prediction history as a spreadsheet
    Then the spreadsheet lists only Carol's prediction
    When Bob downloads his prediction history as a spreadsheet
    Then the spreadsheet lists only Bob's prediction

  Scenario: She can download one model's predictions for a period
    Given Alice has uploaded a model "sales-forecast"
    And Alice asked "sales-forecast" for a forecast on 31 January 2026
    And Alice asked "sales-forecast" for a forecast on 10 February 2026
    And Alice asked the default model about a patient on 12 February 2026
    And Alice asked "sales-forecast" for a forecast on 1 March 2026
    When Alice downloads her predictions from "sales-forecast" for February 2026
    Then the spreadsheet lists only her forecast of 10 February 2026
