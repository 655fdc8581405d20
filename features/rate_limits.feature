@rate_limits
Feature: Fair use: budgets per team member, and against password guessing
  mlapi is shared by many teams, so every caller has a budget of requests per minute. A
  caller who uses theirs up is asked to slow down and told when to try again; nobody else
  notices. Each team member has one budget for predictions and one for everything else,
  shared by all of their sign-ins and API keys: creating more keys buys no more requests.

  Signing in has two budgets of its own, so that nobody can find a password by trying many:
  one per address, where every attempt counts, and one per account, where only wrong
  passwords count. Once an account's budget is spent, every attempt to sign in to it is
  asked to slow down, the right password too, so a guesser learns nothing from the answer.
  Only a browser or script that signed in to the account before (in the last 30 days)
  still gets in: a guesser cannot lock a team member out of the devices they use.

  Background:
    Given the service allows 3 requests a minute per person
    And the service allows 4 predictions a minute per person
    And the service allows 5 sign-in attempts a minute from one address
    And the service allows 2 failed sign-ins a minute per account
    And Alice has an account with the password "alice-secret-42"

  Scenario: Someone guessing Alice's password is stopped
    When someone guesses Alice's password wrong 2 times from different addresses
    And someone guesses Alice's password wrong once more
    Then every guess before the last was turned down as a wrong password
    And the guesser is asked to slow down and told when to try again

  Scenario: A guesser learns nothing once the account's budget is spent
    Given someone has guessed Alice's password wrong 2 times from different addresses
    When someone tries Alice's real password from another address
    Then the guesser is asked to slow down and told when to try again

  Scenario: Alice's email address and her username share one budget
    When someone guesses Alice's password wrong 2 times with her email address
    And someone guesses Alice's password wrong once more
    Then the guesser is asked to slow down and told when to try again

  Scenario: Alice can still sign in from a browser she has used before
    Given Alice has signed in from her laptop before
    And someone has guessed Alice's password wrong 3 times from different addresses
    When Alice signs in correctly 3 times from her laptop
    Then every one of Alice's sign-ins succeeds

  Scenario: Signing in correctly never uses up an account's budget
    When Alice signs in correctly 6 times from different addresses
    Then every one of Alice's sign-ins succeeds

  Scenario: Trying many names from one address does not get round the limit
    When someone tries to sign in as 6 different people from one address
    Then the last one is asked to slow down and told when to try again

  Scenario: Pretending to come from somewhere else does not get round the limit
    When someone tries to sign in 6 times from one address, claiming a different address each time
    Then the last one is asked to slow down and told when to try again

  Scenario Outline: A team member who sends too many requests is asked to slow down
    Given Alice is signed in
    When Alice <asks for something> <times> times within a minute
    Then the first <allowed> are answered and the rest are asked to slow down

    Examples:
      | asks for something                               | times | allowed |
      | asks for her profile                             | 5     | 3       |
      | asks the default model about a patient           | 6     | 4       |
      | asks the default model about 2 patients at once  | 6     | 4       |

  Scenario: Predictions and other requests have separate budgets
    Given Alice is signed in
    When Alice asks the default model about a patient 5 times within a minute
    Then Alice still gets an answer to her own requests

  Scenario: One team member's busy minute does not slow down another
    Given Alice is signed in
    And Bob is signed in
    When Alice asks for her profile 4 times within a minute
    Then Alice is asked to slow down and told when to try again
    And Bob still gets an answer

  Scenario: Alice's scripts share her budget
    Given Alice is signed in
    # Creating the two keys uses two of her three requests.
    And Alice has created the API keys "nightly" and "dashboard"
    When the script with the key "nightly" asks for Alice's profile once
    Then the script with the key "dashboard" is also asked to slow down
    And Alice is asked to slow down as well

  Scenario: Requests without valid credentials use up nobody's budget
    Given Alice is signed in
    When someone without valid credentials asks for a profile 5 times
    Then Alice still gets an answer
