# ruff: noqa: E501 - the article keeps one paragraph per line, as news text does
"""Documents the verify tests read: a long news article in the shape of FRANK's (a headline,
a byline, a date line and many one-paragraph-per-line paragraphs), written for the tests
about a fictional town, so that no sentence of it is in the seed corpus or the evaluation
data."""

LONG_ARTICLE = """Harbour town approves library budget after months of debate

By a staff reporter

Published 14 March 2023

The Millbrook town council voted 7 to 2 on Tuesday night to approve a $48 million budget for a new central library, ending a dispute that had divided residents since last autumn.

The library will replace the 1962 building on Quay Street, which engineers closed in August after finding cracks in its foundations.

Council leader Ruth Okafor said the vote was "a promise kept to every child in Millbrook who has spent the winter without a reading room".

Construction is expected to begin in the spring of 2024 and to take about two years, according to the council's planning department.

The two councillors who voted against the plan, Dennis Hale and Priya Sandhu, said the town could not afford the project while road repairs were still unfunded.

"We are borrowing money we do not have for a building we could have repaired," Mr Hale told the meeting. He said he would ask the regional auditor to review the loan.

About 200 residents attended the meeting, which lasted more than four hours. Several speakers held signs calling for the old library to be saved.

The new building will have three floors, a children's wing and a rooftop garden. It will be built on the site of a former bus depot near the railway station.

Funding will come from a 30-year loan of $35 million, a regional grant of $9 million and $4 million raised by a local charity over the past decade.

The charity's chair, Helen Marsh, said donors had been waiting "a very long time" for the decision. The charity will also pay for the library's first collection of books.

Property taxes will rise by 1.5 percent next year to cover the loan repayments, the town's finance officer, Carlos Mendes, told councillors.

Mr Mendes said the increase would cost the average household about $60 a year.

The old library building will be sold. The council has not decided whether the proceeds will go towards the new library or towards road repairs.

Millbrook, a harbour town of about 40,000 people, has been without a public library since the Quay Street building closed.

A temporary reading room opened in the town hall in November, but it holds fewer than 2,000 books and is open only three days a week.

The regional auditor's office said it had not yet received a request to review the loan and would not comment on the project.

Residents can view the architect's drawings at the town hall until the end of April.
"""

#: Sentences of LONG_ARTICLE (the headline, the byline and the date line count as one each).
LONG_ARTICLE_SENTENCES = 25
