@admin
Feature: Administrators look after accounts and the service
  Administrators decide who may use the service and with which rights, see how busy it
  is, and choose the model that answers when nobody names one. Nobody else may do these
  things, and the service always keeps at least one active administrator.

  Background:
    Given Carol is an administrator

  Scenario: An administrator sees every account, newest first
    Given Alice and Bob have accounts
    When Carol looks at the list of accounts
    Then Carol sees the accounts of Bob, Alice and Carol in that order

  Scenario: A deactivated user can no longer use the service
    Given Bob is signed in
    When Carol deactivates Bob's account
    Then Bob can no longer use the service

  Scenario: A reactivated user signs in afresh, and their scripts work again
    Given Bob is signed in
    And Bob has a script with an API key
    And Carol has deactivated Bob's account
    When Carol reactivates Bob's account
    Then Bob's sign-in from before the deactivation no longer works
    And Bob can sign in again and use the service
    And Bob's script works again

  Scenario: An administrator makes another user an administrator
    Given Bob is signed in
    When Carol makes Bob an administrator
    Then Bob can look after accounts

  Scenario Outline: The last active administrator cannot step down
    When Carol tries to <change> her own account
    Then Carol is told the service needs at least one active administrator
    And Carol is still an active administrator

    Examples:
      | change     |
      | demote     |
      | deactivate |

  Scenario: With a second administrator, the first may step down
    Given Dave is an administrator
    When Carol tries to demote her own account
    Then Carol is no longer an administrator

  Scenario Outline: Only administrators may look after the service
    Given Bob is signed in
    When Bob tries to <action>
    Then Bob is told only administrators may do this

    Examples:
      | action                  |
      | list the accounts       |
      | change an account       |
      | read the service figures |
      | choose the default model |

  Scenario: An administrator sees how busy the service is
    Given Bob has asked the default model about a patient
    When Carol reads the service figures
    Then Carol sees 1 prediction and 1 request for a prediction

  Scenario: An administrator chooses a new default model
    Given Alice has shared a model "ridge" with everyone
    When Carol makes "ridge" the default model
    Then Bob's next prediction comes from "ridge"

  Scenario: A private model cannot become the default
    Given Alice has kept a model "secret" to herself
    When Carol makes "secret" the default model
    Then Carol is told only a shared model can be the default
    And Bob's next prediction comes from "diabetes-linear"
