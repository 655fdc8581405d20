@feedback
Feature: Feedback on predictions
  After a prediction, the person who asked can report what really happened: the real
  outcome, a score from 1 to 5 and a comment. The model's owner then sees how the model is
  doing: how often it is asked, how fast it answers, and how close it came to reality.

  Background:
    Given Alice keeps a churn classifier "churn"
    And Alice keeps a sales forecasting model "sales"
    And Bob is signed in

  Scenario: The owner reports the real outcome
    Given Alice has asked her churn model about a customer
    When Alice reports that the real outcome was class 2, scoring the prediction 4
    Then Alice's report is recorded
    And Alice's prediction shows the real outcome was class 2

  Scenario: A prediction without a report shows none
    Given Alice has asked her churn model about a customer
    When Alice reads her latest prediction
    Then the prediction shows no report yet

  Scenario: Reporting again replaces the earlier report
    Given Alice has asked her churn model about a customer
    And Alice has reported that the real outcome was class 1
    When Alice reports that the real outcome was class 2
    Then Alice's earlier report is replaced
    And Alice's prediction shows the real outcome was class 2

  Scenario Outline: Only the person who asked may report on a prediction
    Given Alice has asked her churn model about a customer
    And Carol runs mlapi as an administrator
    When <someone> reports that the real outcome of Alice's prediction was class 1
    Then <someone> is told only the person who asked can report on it

    Examples:
      | someone |
      | Bob     |
      | Carol   |

  Scenario Outline: A report must make sense for the model
    Given Alice has asked her churn model about a customer
    When Alice reports <report>
    Then the report is refused, pointing at the <part>

    Examples:
      | report                                 | part         |
      | that the real outcome was class 7      | real outcome |
      | a score of 6 for the prediction        | score        |
      | a score of 0 for the prediction        | score        |
      | a comment of 1001 characters           | comment      |

  Scenario: The owner of a forecasting model sees how far off it was
    Given Alice has asked her sales model about 2 shops
    And Alice has reported real figures 10 above and 30 below the forecasts
    When Alice looks at how her sales model is doing
    Then she sees 2 predictions and 2 reports, off by 20 on average

  Scenario: The owner can see the figures from their own reports only
    Anyone may ask a model shared with everyone and report on their own predictions, so
    others' reports can skew the figures; the owner can leave them out.
    Given Alice keeps a public sales forecasting model "forecast"
    And Alice has asked her forecast model about 2 shops
    And Alice has reported real figures 10 above and 30 below the forecasts
    And Bob has asked Alice's forecast model about a shop
    And Bob has reported a real figure 5000 above the forecast
    When Alice looks at how her forecast model is doing, from her own reports only
    Then she sees 3 predictions and 2 reports, off by 20 on average

  Scenario: The owner of a classifier sees how often it was right
    Given Alice has asked her churn model about 4 customers
    And Alice has reported that 3 of the 4 predictions were right
    When Alice looks at how her churn model is doing
    Then she sees it was right 75 percent of the time

  Scenario: A model without reports has no error figures yet
    When Alice looks at how her sales model is doing
    Then she sees no predictions and no error figure yet

  Scenario Outline: Only the owner and administrators see a model's figures
    Given Carol runs mlapi as an administrator
    When <someone> looks at how Alice's sales model is doing
    Then <someone> is <outcome>

    Examples:
      | someone | outcome                       |
      | Bob     | refused the figures           |
      | Carol   | shown the figures             |
