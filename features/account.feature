@account
Feature: Looking after an account
  Alice keeps her account safe: she changes her password when she suspects someone knows
  it, which ends every other session she has; she signs out everywhere at once when a
  laptop is lost; and she replaces an API key without stopping the script that uses it.

  Background:
    Given Alice is signed in

  Scenario: Changing the password ends every other session
    Given Alice is signed in on her laptop and on her phone
    And Alice has created an API key "nightly" for her script
    When Alice changes her password on her phone
    Then Alice is turned away on her laptop
    And Alice can go on working on her phone
    And Alice's key "nightly" still works

  Scenario: The old password no longer signs in
    When Alice changes her password
    Then Alice can no longer sign in with her old password
    And Alice can sign in with her new password

  Scenario: A wrong current password is refused
    When Alice tries to change her password giving a wrong current one
    Then Alice is told her current password is not right
    And Alice's password is unchanged

  Scenario Outline: Wrong current passwords count toward the guessing budget
    Given an account may have 3 wrong passwords a minute
    When Alice gives a wrong current password <wrong> times, then her right one
    Then the change is <outcome>

    Examples:
      | wrong | outcome                           |
      | 2     | made                              |
      | 3     | refused until the budget recovers |

  Scenario: Signing out everywhere ends every session, this one included
    Given Alice is signed in on her laptop and on her phone
    And Alice has created an API key "nightly" for her script
    When Alice signs out everywhere on her phone
    Then Alice is turned away on her laptop and on her phone
    And Alice's key "nightly" still works

  Scenario: The script keeps working with the old key during the grace period
    Given Alice has created an API key "nightly-job" for her script
    And Alice has replaced the key "nightly-job", letting the old one work for 2 more hours
    When an hour passes
    Then the script still gets predictions with its old key
    And Alice's new key "nightly-job" works

  Scenario: The old key is turned away once the grace period is over
    Given Alice has created an API key "nightly-job" for her script
    And Alice has replaced the key "nightly-job", letting the old one work for 2 more hours
    When 3 hours pass
    Then the script is turned away because its key is not valid
    And Alice's new key "nightly-job" works

  Scenario: Without a grace period the old key stops at once
    Given Alice has created an API key "nightly-job" for her script
    When Alice replaces the key "nightly-job" with no grace period
    Then the script is turned away because its key is not valid
    And Alice's new key "nightly-job" works

  Scenario: Alice sees which key replaced which
    Given Alice has created an API key "nightly-job" for her script
    And Alice has replaced the key "nightly-job", letting the old one work for 2 more hours
    When Alice lists her API keys
    Then she sees the key "nightly-job" twice, the old one marked as replaced by the new one

  Scenario: A key cannot be replaced twice
    Given Alice has created an API key "nightly-job" for her script
    And Alice has replaced the key "nightly-job", letting the old one work for 2 more hours
    When Alice tries to replace the old key "nightly-job" again
    Then Alice is told the key has already been replaced

  Scenario: Alice can replace a key even when she holds as many keys as allowed
    Given Alice has created an API key "nightly-job" for her script
    And Alice holds as many API keys as one person may
    When Alice replaces the key "nightly-job", letting the old one work for 2 more hours
    Then Alice's new key "nightly-job" works
    And the script still gets predictions with its old key
