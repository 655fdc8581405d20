@audit
Feature: The audit log tells who changed what, and when
  Every change to who may do what, or to which model answers, leaves a record in the audit
  log: who made it, what it was about, and when. Administrators read the whole log;
  everyone else reads what they did themselves and what was done to their account, their
  keys, webhooks, models and teams. Nobody can change or erase a record, and no record
  keeps a password or a key.

  Background:
    Given Carol is an administrator
    And Bob is signed in

  Scenario: An administrator's change of a role is on record
    When Carol makes Bob an administrator
    Then the audit log shows who changed Bob's role and when
    And the audit log shows Bob's role went from user to admin

  Scenario Outline: Each change to an account is on record with the administrator who made it
    Given Bob's account is <state>
    When Carol <change> Bob's account
    Then the audit log shows Carol <recorded> Bob's account

    Examples:
      | state       | change      | recorded    |
      | active      | deactivates | deactivated |
      | deactivated | reactivates | reactivated |

  Scenario: A promotion from the command line is on record as the operator's
    When the operator makes Bob an administrator from the command line
    Then the audit log shows the operator changed Bob's role

  Scenario: A user sees their own events but not others'
    Given Alice is signed in
    And Bob has a script with an API key
    And Alice has a script with an API key
    When Bob reads his audit log
    Then Bob sees that he created the API key "script"
    And Bob sees nothing Alice did

  Scenario: A user sees what an administrator did to their account
    Given Carol has deactivated Bob's account
    And Carol has reactivated Bob's account
    When Bob signs in again and reads his audit log
    Then Bob sees that Carol deactivated and then reactivated his account

  Scenario: Only administrators read the whole log
    When Bob tries to read the whole audit log
    Then Bob is told only administrators may do this

  Scenario: Nobody can erase the log, not even an administrator
    When Carol tries to erase the audit log
    Then Carol is told the audit log cannot be changed

  Scenario: The log keeps no secret
    Given Bob has a script with an API key
    Then the audit log does not hold Bob's password or his script's key
