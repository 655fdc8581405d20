@api_keys
Feature: API keys for scripts and services
  A team's nightly job cannot type a password. Its owner creates an API key for it: the
  key acts as its owner, its secret is shown only once, it may expire, and it stops working
  the moment it is deleted. A key can do what its owner can do with models and
  predictions, but it cannot manage sessions or keys: that needs the person, signed in.

  Background:
    Given Alice is signed in
    And Alice has created an API key "nightly-job" for her script

  Scenario: A script asks for predictions with Alice's key
    When the script asks the default model about a patient with Alice's key
    Then the script gets a prediction
    And the script's prediction appears in Alice's history

  Scenario: The key's secret is shown only when it is created
    When Alice lists her API keys
    Then she sees the key "nightly-job" with the start of its secret
    But the whole secret is not shown again

  Scenario: Alice can tell when her key was last used
    When the script asks the default model about a patient with Alice's key
    And Alice lists her API keys
    Then she sees the key "nightly-job" was used just now

  Scenario: A deleted key stops working at once
    When Alice deletes the key "nightly-job"
    Then the script is turned away because its key is not valid

  Scenario: An expired key stops working
    Given Alice has created an API key "quarterly-report" that lasts 90 days
    And 91 days have passed for the key "quarterly-report"
    When the script asks the default model about a patient with the key "quarterly-report"
    Then the script is turned away because its key has expired

  Scenario: The key of a deactivated account stops working
    Given Carol is an administrator
    And Carol has deactivated Alice's account
    When the script asks the default model about a patient with Alice's key
    Then the script is turned away because Alice's account is inactive

  Scenario: Alice cannot hold more than the allowed number of keys
    Given Alice holds as many API keys as one person may
    When Alice asks for one more API key "one-too-many"
    Then Alice is told she already holds as many keys as one person may
    And she is told that deleting a key, or letting one expire, makes room

  Scenario: A key sees only what its owner may see
    Given Bob has kept a model "pricing" to himself
    When the script asks Bob's model "pricing" for a prediction with Alice's key
    Then the script is told the model is not Alice's to use

  Scenario Outline: A key cannot manage sessions or keys
    When the script tries to <action> with Alice's key
    Then the script is told only a signed-in person may do that

    Examples:
      | action                     |
      | create another API key     |
      | list Alice's API keys      |
      | delete the key             |
      | replace the key            |
      | sign Alice out             |
      | renew Alice's session      |

  Scenario: Nobody else can find or delete Alice's key
    Given Bob is signed in
    When Bob tries to delete Alice's key "nightly-job"
    Then Bob is told there is no such key
    And Alice's key "nightly-job" still works

  Scenario: An administrator can revoke anyone's key
    Given Carol is an administrator
    When Carol revokes Alice's key "nightly-job"
    Then the script is turned away because its key is not valid

  Scenario: A key and a token sent together are refused
    When the script sends Alice's key together with Alice's token
    Then the script is told to send only one of them
