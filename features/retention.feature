@retention
Feature: How long prediction history and audit records are kept
  Prediction history and the audit log grow every day. The operator decides how many days
  of history to keep (all of it unless told otherwise) and how many days of audit records
  (a year unless told otherwise). A clean-up run every night on every server clears what
  is older; a trial run first shows what it would clear.

  Background:
    Given Alice keeps a sales forecasting model "sales"
    And Alice has asked her sales model about 2 shops
    And Alice has reported real figures 10 above and 30 below the forecasts

  Scenario: History older than the period is cleared by the nightly clean-up, with its feedback
    Given the operator keeps history for 30 days
    And Alice asked those 31 days ago
    When the nightly clean-up runs
    Then Alice has 0 predictions left
    And Alice's reports on them are gone too
    And the clean-up says it cleared 2 predictions, 2 of them with feedback

  Scenario: Recent history stays
    Given the operator keeps history for 30 days
    And Alice asked those 29 days ago
    When the nightly clean-up runs
    Then Alice has 2 predictions left

  Scenario: History is kept for ever unless a period is set
    Given Alice asked those 3000 days ago
    When the nightly clean-up runs
    Then Alice has 2 predictions left
    And the clean-up says history is kept for ever

  Scenario Outline: The audit log keeps a year by default
    Given the audit log holds a record from <age> days ago
    When the nightly clean-up runs
    Then that audit record is <fate>

    Examples:
      | age | fate    |
      | 364 | kept    |
      | 366 | cleared |

  Scenario: A trial run deletes nothing but says what it would
    Given the operator keeps history for 30 days
    And Alice asked those 31 days ago
    When the operator tries the clean-up as a trial run
    Then Alice has 2 predictions left
    And the clean-up says it would clear 2 predictions, 2 of them with feedback

  Scenario: A model's figures cover what remains
    Given the operator keeps history for 30 days
    And Alice asked those 31 days ago
    And Alice has asked her sales model about 2 shops
    And Alice has reported real figures 4 above and 2 below the forecasts
    When the nightly clean-up runs
    And Alice looks at how her sales model is doing
    Then she sees 2 predictions and 2 reports, off by 3 on average
