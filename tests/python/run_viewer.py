"""Reads the viewer function of a pipec CloudFormation build under moto's mock_aws, over rows
put straight into its table (rows near DynamoDB's 400 KB item limit among small ones).

Usage: run_viewer.py TEMPLATE_DIR ITEMS_FILE OUT_FILE

ITEMS_FILE holds a JSON list of items as the hot function stores them. OUT_FILE receives
{"json": read_viewer's result (run_aws.py), "html": {"pages", "largest"}}: the HTML pages
read by following each page's "next page" link from ?limit=1000.
"""

import decimal
import html
import json
import re
import sys
import urllib.parse

import boto3
from run_aws import driver, mock_aws, read_viewer


def read_html(viewer):
    """Every HTML page from ?limit=1000 on, by its "next page" link: their count and the
    largest response as Lambda sends it."""
    params, pages, largest = {"limit": "1000"}, 0, 0
    while params is not None:
        response = viewer.handler({"queryStringParameters": params}, None)
        assert response["statusCode"] == 200, response["body"][:200]
        largest = max(largest, len(json.dumps(response)))
        pages += 1
        link = re.search(r"<a href='\?([^']*)'>next page</a>", response["body"])
        params = None
        if link:
            params = dict(urllib.parse.parse_qsl(html.unescape(link.group(1))))
    return {"pages": pages, "largest": largest}


@mock_aws
def main(directory, items_file, out_file):
    with open(f"{directory}/template.json") as f:
        template = json.load(f)
    names = driver.create(template)
    with open(items_file) as f:
        items = json.load(f, parse_float=decimal.Decimal)
    table = boto3.resource("dynamodb").Table(names["FlaggedTable"])
    with table.batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
    viewer = driver.load(directory, template, "ViewerFunction", names)
    out = {"json": read_viewer(viewer), "html": read_html(viewer)}
    with open(out_file, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
