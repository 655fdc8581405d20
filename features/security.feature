@security
Feature: The service stands firm against misuse
  Teams trust mlapi with their models, their predictions and their keys. Some callers will
  not play by the rules: they forge or reuse credentials, reach for another team's things,
  send files that would run code, or send far too much. These scenarios say what happens
  then: the attempt is refused, nothing is changed, and nothing secret is given away.

  Background:
    Given Alice is signed in
    And Bob is signed in

  Scenario Outline: A forged token is refused
    Given someone has forged Alice's token by <forgery>
    When someone uses the forged token to look at Alice's profile
    Then the forged token is refused as invalid

    Examples:
      | forgery                              |
      | changing whose token it is           |
      | signing it with a key of their own   |
      | removing its signature               |
      | declaring that it needs no signature |

  Scenario: An expired sign-in is refused
    Given Alice is signed in with a session that has expired
    When Alice looks at her profile
    Then she is refused because her session has expired

  Scenario: A signed-out session cannot be used again
    When Alice signs out
    And Alice looks at her profile
    Then she is refused because her session was revoked
    And Alice can no longer renew her session

  Scenario Outline: Another team cannot see or use a private <thing>
    Given Alice keeps a private model, a prediction and an API key
    When Bob tries to <action> Alice's private <thing>
    Then Bob is turned away <answer>
    And Alice's private <thing> is untouched

    Examples:
      | action       | thing      | answer                        |
      | view         | model      | because it is not his         |
      | change       | model      | because it is not his         |
      | delete       | model      | because it is not his         |
      | predict with | model      | because it is not his         |
      | read         | prediction | because it is not his         |
      | report on    | prediction | because it is not his         |
      | delete       | API key    | as if there were no such key  |

  Scenario: A model file that could run code when loaded is refused
    When Alice uploads a sales forecasting model saved with pickle
    Then the upload is refused as unsafe, advising Alice to export it with skops
    And Alice has no model in the registry

  Scenario: A model file that refers to system commands is refused
    When Alice uploads a model that would run system commands when loaded
    Then the upload is refused, naming the untrusted code it refers to
    And Alice has no model in the registry

  Scenario: A tampered model file is not served
    Given Alice has uploaded a model "churn"
    And someone has altered the stored file of "churn"
    When Alice asks "churn" for a sales forecast
    Then Alice is told the model cannot be used right now
    And the operators are told the file of "churn" fails its check

  Scenario Outline: An oversized request is refused
    When Alice sends <megabytes> megabytes of numbers to the default model
    Then the request is refused as too large
    And Alice's history is still empty

    Examples:
      | megabytes |
      | 2         |
      | 20        |

  Scenario Outline: Hostile text is stored and returned as plain data
    When Mallory saves <text> as <what>
    Then Mallory gets <what> back exactly as written, as plain data

    Examples:
      | what                         | text                                  |
      | her full name                | <script>alert('owned')</script>       |
      | her full name                | <img src=x onerror=alert(1)>          |
      | her full name                | Robert'); DROP TABLE users;--         |
      | the description of her model | "><svg onload=alert(document.cookie)> |
      | the description of her model | <body onload=steal(document.cookie)>  |

  Scenario: Passwords never come back in any answer
    When Carol registers with the email "carol@example.com" and the password "Tr0ub4dor-and-3"
    And Carol signs in with her username and the password "Tr0ub4dor-and-3"
    And Carol looks at her profile
    Then no answer Carol was given contains her password in any form
